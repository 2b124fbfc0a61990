"""Bots over the HTTP API: owner-only access (another user's bot is not found, and cannot be
changed), bad input refused without change, status transitions audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from botfolio.api.app import create_app
from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.bots.models import Bot
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.runtime import Runtime

PASSWORD = "correct horse battery staple"


async def _client(runtime: Runtime, email: str) -> tuple[httpx.AsyncClient, str]:
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session,
            AuthContext.from_runtime(runtime),
            email=email,
            role=Role.USER,
            password=PASSWORD,
            actor=Actor.system(),
        )
        account = await add_account(
            session,
            runtime.clock,
            runtime.cipher,
            actor=Actor.system(),
            user_id=created.user.id,
            venue="binance",
            label="main",
            creds=Credentials("key-12345678", "secret-12345678"),
        )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)), base_url="http://testserver"
    )
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client, account.id


@pytest.fixture
async def two_users(
    runtime: Runtime,
) -> AsyncIterator[tuple[httpx.AsyncClient, str, httpx.AsyncClient, str]]:
    alice, alice_account = await _client(runtime, "alice@example.com")
    bob, bob_account = await _client(runtime, "bob@example.com")
    yield alice, alice_account, bob, bob_account
    await alice.aclose()
    await bob.aclose()


def _bot(account_id: str, **extra: object) -> dict[str, object]:
    return {
        "name": "alpha",
        "account_id": account_id,
        "universe": ["BTC/USDT", "ETH/USDT"],
        "quote_asset": "USDT",
        "budget": "1000",
        **extra,
    }


async def test_bots_are_visible_and_changeable_by_their_owner_only(
    runtime: Runtime, two_users: tuple[httpx.AsyncClient, str, httpx.AsyncClient, str]
) -> None:
    alice, alice_account, bob, _bob_account = two_users
    created = await alice.post("/v1/bots", json=_bot(alice_account))
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]

    assert (await bob.get(f"/v1/bots/{bot_id}")).status_code == 404
    assert (await bob.patch(f"/v1/bots/{bot_id}", json={"name": "mine"})).status_code == 404
    assert (await bob.post(f"/v1/bots/{bot_id}/start")).status_code == 404
    assert (await bob.get("/v1/bots")).json() == []
    stolen = await bob.post("/v1/bots", json=_bot(alice_account))  # someone else's account
    assert stolen.status_code == 404

    async with runtime.db.session() as session:
        bot = await session.get(Bot, bot_id)
    assert bot is not None and bot.name == "alpha" and bot.status == "created"
    assert [b["id"] for b in (await alice.get("/v1/bots")).json()] == [bot_id]


async def test_bad_bot_input_is_refused_and_changes_nothing(
    runtime: Runtime, two_users: tuple[httpx.AsyncClient, str, httpx.AsyncClient, str]
) -> None:
    alice, alice_account, _bob, _ = two_users
    for body in (
        _bot(alice_account, universe=["BTC/EUR"]),  # quote differs from quote_asset
        _bot(alice_account, budget="-5"),
        _bot(alice_account, universe=["BTC/USDT", "BTC/USDT"]),
        _bot(alice_account, surprise=True),
        _bot(alice_account, allocation={"top_k": 0}),
    ):
        response = await alice.post("/v1/bots", json=body)
        assert response.status_code == 422, (body, response.text)
    async with runtime.db.session() as session:
        assert list((await session.execute(select(Bot))).scalars()) == []


async def test_status_changes_follow_the_lifecycle_and_are_audited(
    runtime: Runtime, two_users: tuple[httpx.AsyncClient, str, httpx.AsyncClient, str]
) -> None:
    alice, alice_account, _bob, _ = two_users
    bot_id = (await alice.post("/v1/bots", json=_bot(alice_account))).json()["id"]

    assert (await alice.post(f"/v1/bots/{bot_id}/resume")).status_code == 409  # not paused
    for command, status in (
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("stop", "stopped"),
    ):
        response = await alice.post(f"/v1/bots/{bot_id}/{command}")
        assert response.json()["status"] == status, response.text
    assert (await alice.post(f"/v1/bots/{bot_id}/start")).status_code == 409  # stopped is final

    async with runtime.db.session() as session:
        actions = list(
            (
                await session.execute(
                    select(AuditEvent.action)
                    .where(AuditEvent.target_id == bot_id)
                    .order_by(AuditEvent.id)
                )
            ).scalars()
        )
    assert actions == ["bot.created", "bot.start", "bot.pause", "bot.resume", "bot.stop"]
