"""Expired exchange credentials end to end, through the HTTP API and the real CCXT -> simulator
path: the account is linked (keys checked with the venue) and a bot started on it; the venue
starts refusing the key; the next order stops the account, records the incident and pauses the
bot with the reason; re-linking with a new key resumes the bot, and orders fill again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from botfolio.api.app import create_app
from botfolio.audit.service import Actor
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.config import Settings
from botfolio.exchanges.errors import CredentialsRejectedError
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import ClientOrderId, OrderSide, OrderType
from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.orders.models import OrderStatus
from botfolio.orders.service import OrderIntent, place_order_intent
from botfolio.orders.submission import OrderSubmitter
from botfolio.runtime import Runtime
from botfolio.security.keyring import KeyRing

from ..integration.orders.conftest import venue_runtime_of

PASSWORD = "correct horse battery staple"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with run_simulator(SimulatorConfig(seed=11)) as running:
        yield running


@pytest.fixture
async def app_runtime(
    settings: Settings, keyring: KeyRing, sim: RunningSimulator
) -> AsyncIterator[Runtime]:
    rt = venue_runtime_of(settings, keyring, sim)
    yield rt
    await rt.close()


@pytest.fixture
async def trader(app_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with app_runtime.db.transaction() as session:
        await users.create_user(
            session,
            AuthContext.from_runtime(app_runtime),
            email="trader@example.com",
            role=Role.USER,
            password=PASSWORD,
            actor=Actor.system(),
        )
    transport = httpx.ASGITransport(app=create_app(app_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        login = await client.post(
            "/v1/auth/login", json={"email": "trader@example.com", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield client


async def test_expired_key_stops_account_and_relink_resumes_it(
    app_runtime: Runtime, sim: RunningSimulator, trader: httpx.AsyncClient
) -> None:
    demo = next(c for c in sim.credentials() if c.venue == "binance")
    bad = await trader.post(
        "/v1/accounts",
        json={"venue": "binance", "label": "main", "api_key": demo.api_key, "secret": "wrong" * 8},
    )
    assert bad.status_code == 422  # keys are checked with the venue before they are kept
    linked = await trader.post(
        "/v1/accounts",
        json={"venue": "binance", "label": "main", "api_key": demo.api_key, "secret": demo.secret},
    )
    assert linked.status_code == 201, linked.text
    body = linked.json()
    assert body["status"] == "active" and "api_key" not in body and "secret" not in body
    account_id = body["id"]
    bot = await trader.post(
        "/v1/bots",
        json={
            "name": "btc",
            "account_id": account_id,
            "universe": ["BTC/USDT", "ETH/USDT"],
            "quote_asset": "USDT",
            "budget": "1000",
        },
    )
    assert bot.status_code == 201, bot.text
    bot_id = bot.json()["id"]
    assert (await trader.post(f"/v1/bots/{bot_id}/start")).json()["status"] == "running"

    async with sim.control("binance") as control:
        await control.add_fault("credentials_expired", api_key=demo.api_key)
        async with app_runtime.db.transaction() as session:
            account = await session.get(ExchangeAccount, account_id)
            assert account is not None
            order, _ = await place_order_intent(
                session,
                app_runtime.clock,
                account=account,
                intent=OrderIntent(
                    ClientOrderId("bf-expired-e2e"),
                    "BTC/USDT",
                    OrderSide.BUY,
                    OrderType.MARKET,
                    Decimal("0.001"),
                ),
                actor=Actor.system(),
            )
        with pytest.raises(CredentialsRejectedError):
            await OrderSubmitter(app_runtime.db, app_runtime.gateways, app_runtime.clock).submit(
                order.id
            )

        stopped = (await trader.get(f"/v1/accounts/{account_id}")).json()
        assert stopped["status"] == "credentials_invalid"
        incidents = await _incident_kinds(app_runtime)
        assert incidents == ["credentials_rejected"]
        paused = (await trader.get(f"/v1/bots/{bot_id}")).json()
        assert paused["status"] == "paused"
        assert "re-link" in paused["status_reason"]

        fresh = await control.create_account({"USDT": Decimal("1000"), "BTC": Decimal("0")})
        relinked = await trader.put(
            f"/v1/accounts/{account_id}/credentials",
            json={"api_key": fresh["api_key"], "secret": fresh["secret"]},
        )
    assert relinked.status_code == 200, relinked.text
    assert relinked.json()["status"] == "active"
    assert (await trader.get(f"/v1/bots/{bot_id}")).json()["status"] == "running"

    async with app_runtime.db.transaction() as session:
        account = await session.get(ExchangeAccount, account_id)
        assert account is not None
        retry, _ = await place_order_intent(
            session,
            app_runtime.clock,
            account=account,
            intent=OrderIntent(
                ClientOrderId("bf-after-relink"),
                "BTC/USDT",
                OrderSide.BUY,
                OrderType.MARKET,
                Decimal("0.001"),
            ),
            actor=Actor.system(),
        )
    submitter = OrderSubmitter(app_runtime.db, app_runtime.gateways, app_runtime.clock)
    assert await submitter.submit(retry.id) is OrderStatus.FILLED


async def test_other_users_account_is_not_found(
    app_runtime: Runtime, trader: httpx.AsyncClient
) -> None:
    missing = await trader.get("/v1/accounts/01a2184d-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


async def _incident_kinds(rt: Runtime) -> list[str]:
    from botfolio.exchanges.models import ExchangeIncident

    async with rt.db.session() as session:
        return list((await session.execute(select(ExchangeIncident.kind))).scalars())
