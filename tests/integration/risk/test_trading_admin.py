"""The kill switch as operators use it: `POST/GET /v1/admin/trading` and `botfolio trading`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from botfolio.api.app import create_app
from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.auth import sessions, two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.cli.trading_cmd import app as trading_app
from botfolio.config import get_settings
from botfolio.db.database import Database
from botfolio.risk import service
from botfolio.risk.state import TradingState
from botfolio.runtime import Runtime


async def _client(runtime: Runtime, role: Role) -> httpx.AsyncClient:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session,
            ctx,
            email=f"{role.value}@example.com",
            role=role,
            password="correct horse battery staple",
            actor=Actor.system(),
        )
        if ctx.is_staff(role.value):
            enrollment = await two_factor.begin_enrollment(
                session, ctx, created.user, account_label=role.value, actor=Actor.system()
            )
            code = pyotp.TOTP(enrollment.secret).at(ctx.clock.now())
            await two_factor.confirm_enrollment(
                session, ctx, created.user, code, actor=Actor.system()
            )
        issued = await sessions.issue_session(
            session, ctx, created.user, ip="127.0.0.1", user_agent="test"
        )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
    )
    client.cookies.set(sessions.SESSION_COOKIE, issued.token)
    client.headers[sessions.CSRF_HEADER] = issued.csrf_token
    return client


@pytest.fixture
async def operator(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    client = await _client(runtime, Role.OPERATOR)
    yield client
    await client.aclose()


async def test_admin_trading_when_operator_halts_bot_and_resumes_global_state_follows(
    runtime: Runtime, operator: httpx.AsyncClient
) -> None:
    halted = await operator.post(
        "/v1/admin/trading", json={"state": "halted", "reason": "exchange outage"}
    )
    assert halted.status_code == 200, halted.text
    assert halted.json()["global_state"] == "halted"
    async with runtime.db.session() as session:
        assert await service.effective_state(session, "any-bot", "any-user") is TradingState.HALTED
    reduce = await operator.post(
        "/v1/admin/trading", json={"state": "reducing", "bot_id": "bot-1", "reason": "too risky"}
    )
    assert reduce.status_code == 200
    resumed = await operator.post(
        "/v1/admin/trading", json={"state": "active", "reason": "outage over"}
    )
    listing = (await operator.get("/v1/admin/trading")).json()
    assert resumed.json()["global_state"] == listing["global_state"] == "active"
    assert {(s["scope"], s["scope_id"], s["state"]) for s in listing["states"]} == {
        ("global", "", "active"),
        ("bot", "bot-1", "reducing"),
    }
    async with runtime.db.session() as session:
        assert await service.effective_state(session, "bot-1", "u") is TradingState.REDUCING
        actors = (
            (
                await session.execute(
                    select(AuditEvent.actor_id).where(AuditEvent.action.like("trading.%"))
                )
            )
            .scalars()
            .all()
        )
    assert len(actors) == 3 and all(actors)


@pytest.mark.parametrize(
    "body",
    [
        {"state": "halted", "reason": ""},
        {"state": "stopped", "reason": "x"},
        {"state": "halted", "reason": "x", "user_id": "u", "bot_id": "b"},
        {"state": "halted", "reason": "x", "extra": 1},
    ],
)
async def test_admin_trading_when_body_is_bad_refuses_and_changes_nothing(
    runtime: Runtime, operator: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await operator.post("/v1/admin/trading", json=body)
    assert response.status_code == 422, response.text
    assert (await operator.get("/v1/admin/trading")).json()["states"] == []


async def test_admin_trading_when_user_role_posts_is_denied(runtime: Runtime) -> None:
    client = await _client(runtime, Role.USER)
    try:
        response = await client.post(
            "/v1/admin/trading", json={"state": "halted", "reason": "not mine to halt"}
        )
    finally:
        await client.aclose()
    assert response.status_code == 403
    async with runtime.db.session() as session:
        assert await service.list_trading_states(session) == []


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL", db_url)
    monkeypatch.setenv("BOTFOLIO_LOG__LEVEL", "WARNING")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


async def _state_and_audit(db_url: str) -> tuple[TradingState, list[tuple[str, str | None]]]:
    db = Database(db_url)
    try:
        async with db.session() as session:
            state = await service.effective_state(session, "b", "user-9")
            rows = await session.execute(
                select(AuditEvent.action, AuditEvent.actor_id)
                .where(AuditEvent.action.like("trading.%"))
                .order_by(AuditEvent.id)
            )
            return state, [(a, who) for a, who in rows.all()]
    finally:
        await db.dispose()


def test_trading_cli_when_user_halted_then_resumed_records_both(
    db_url: str, cli: CliRunner
) -> None:
    """Synchronous on purpose: the CLI runs its own event loop, as it does for operators."""
    halt = cli.invoke(trading_app, ["halt", "--user", "user-9", "--reason", "fraud check"])
    assert halt.exit_code == 0, halt.output
    assert asyncio.run(_state_and_audit(db_url))[0] is TradingState.HALTED
    status = cli.invoke(trading_app, ["status"], env={"COLUMNS": "200"})
    assert "user-9" in status.output and "halted" in status.output
    both = cli.invoke(trading_app, ["halt", "--user", "u", "--bot", "b", "--reason", "x"])
    assert both.exit_code == 1
    resume = cli.invoke(
        trading_app, ["resume", "--user", "user-9", "--reason", "cleared", "--actor", "op-7"]
    )
    assert resume.exit_code == 0, resume.output
    assert asyncio.run(_state_and_audit(db_url)) == (
        TradingState.ACTIVE,
        [("trading.halted", None), ("trading.active", "op-7")],
    )
