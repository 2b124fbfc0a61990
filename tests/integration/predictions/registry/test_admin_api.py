"""`/v1/admin/models` on the real app: operators promote and roll back (audited with their id),
support staff may only read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest
from sqlalchemy import select

from botfolio.api.app import create_app
from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.auth import sessions, two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.models import User
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.runtime import Runtime

from .conftest import Artifacts, register


async def _staff(runtime: Runtime, role: Role) -> User:
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
        enrollment = await two_factor.begin_enrollment(
            session, ctx, created.user, account_label=role.value, actor=Actor.system()
        )
        code = pyotp.TOTP(enrollment.secret).at(ctx.clock.now())
        await two_factor.confirm_enrollment(session, ctx, created.user, code, actor=Actor.system())
    return created.user


async def _login(runtime: Runtime, client: httpx.AsyncClient, user: User) -> dict[str, str]:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        issued = await sessions.issue_session(session, ctx, user, ip="127.0.0.1", user_agent="t")
    client.cookies.clear()
    client.cookies.set(sessions.SESSION_COOKIE, issued.token)
    return {sessions.CSRF_HEADER: issued.csrf_token}


@pytest.fixture
async def client(runtime: Runtime, clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    runtime.clock = clock
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_admin_models_when_operator_promotes_and_rolls_back_records_the_operator(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, artifacts: Artifacts
) -> None:
    operator = await _staff(runtime, Role.OPERATOR)
    first = await register(runtime.db, clock, artifacts.worse)
    second = await register(runtime.db, clock, artifacts.good)
    headers = await _login(runtime, client, operator)

    promoted = await client.post(f"/v1/admin/models/{first.id}/promote", json={}, headers=headers)
    canary = await client.post(
        f"/v1/admin/models/{second.id}/promote",
        json={"to": "canary", "share": 0.25},
        headers=headers,
    )
    rolled = await client.post(
        "/v1/admin/models/rollback", json={"reason": "canary looks odd"}, headers=headers
    )
    listing = await client.get("/v1/admin/models")
    history = await client.get("/v1/admin/models/history")

    assert promoted.status_code == 200, promoted.text
    assert canary.status_code == 200 and canary.json()["gate"]["passed"] is True
    assert rolled.status_code == 200
    assert rolled.json()["rolled_back"]["id"] == second.id
    assert rolled.json()["restored"]["id"] == first.id
    states = {v["id"]: v["state"] for v in listing.json()}
    assert states == {first.id: "champion", second.id: "retired"}
    assert history.json()[0]["actor_id"] == operator.id
    async with runtime.db.session() as session:
        audited = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "model.rolled_back")
            )
        ).all()
    assert [(e.actor_id, e.target_id) for e in audited] == [(operator.id, second.id)]


async def test_admin_models_when_support_reads_may_list_but_not_promote(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, artifacts: Artifacts
) -> None:
    support = await _staff(runtime, Role.SUPPORT)
    version = await register(runtime.db, clock, artifacts.good)
    headers = await _login(runtime, client, support)

    listing = await client.get("/v1/admin/models")
    refused = await client.post(f"/v1/admin/models/{version.id}/promote", json={}, headers=headers)

    assert listing.status_code == 200 and [v["id"] for v in listing.json()] == [version.id]
    assert refused.status_code == 403
    async with runtime.db.session() as session:
        from botfolio.predictions import registry

        assert (await registry.get_version(session, version.id)).state == "candidate"
