"""The owner-only routes over HTTP with two users: each sees exactly their own orders, portfolio
and risk denials, never the other's; positions shown equal the sum of their fills."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import httpx
import pytest

from botfolio.api.app import create_app
from botfolio.audit.service import Actor
from botfolio.auth import sessions, users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.bots.models import Bot
from botfolio.clock import ManualClock
from botfolio.db.ids import new_id
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import OrderSide
from botfolio.orders.models import Order, OrderFill, OrderStatus
from botfolio.portfolio.service import record_equity_snapshot
from botfolio.risk.checks import RiskDecision
from botfolio.risk.service import record_denials
from botfolio.runtime import Runtime

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Draft:
    symbol: str
    side: OrderSide
    amount: D
    reference_price: D


@dataclass
class Owner:
    user_id: str
    account_id: str
    bot_id: str
    client: httpx.AsyncClient


async def _add_order(
    runtime: Runtime, owner: Owner, side: OrderSide, fills: list[tuple[D, D, D, str]], at: datetime
) -> str:
    order_id = new_id()
    amount = sum((f[1] for f in fills), D(0))
    async with runtime.db.transaction() as session:
        session.add(
            Order(
                id=order_id,
                account_id=owner.account_id,
                bot_id=owner.bot_id,
                venue="binance",
                client_order_id=f"bf-{order_id[-12:]}",
                symbol="BTC/USDT",
                side=side.value,
                type="market",
                amount=amount,
                status=OrderStatus.FILLED.value,
                filled=amount,
                created_at=at,
                updated_at=at,
            )
        )
        await session.flush()
        for i, (price, qty, fee, fee_asset) in enumerate(fills):
            session.add(
                OrderFill(
                    id=new_id(),
                    order_id=order_id,
                    account_id=owner.account_id,
                    trade_id=f"{order_id}-{i}",
                    price=price,
                    amount=qty,
                    fee=fee,
                    fee_asset=fee_asset,
                    executed_at=at + timedelta(seconds=i),
                )
            )
    return order_id


async def _owner(runtime: Runtime, transport: httpx.ASGITransport, name: str) -> Owner:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session,
            ctx,
            email=f"{name}@example.com",
            role=Role.USER,
            password="correct horse battery staple",
            actor=Actor.system(),
        )
        account_id = new_id()
        session.add(
            ExchangeAccount(
                id=account_id,
                user_id=created.user.id,
                venue="binance",
                label=name,
                api_key_encrypted="-",
                api_secret_encrypted="-",
                created_at=T0,
                updated_at=T0,
            )
        )
        issued = await sessions.issue_session(
            session, ctx, created.user, ip="127.0.0.1", user_agent="test"
        )
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    client.cookies.set(sessions.SESSION_COOKIE, issued.token)
    client.headers[sessions.CSRF_HEADER] = issued.csrf_token
    return Owner(created.user.id, account_id, f"bot-{name}", client)


@pytest.fixture
async def owners(runtime: Runtime) -> AsyncIterator[tuple[Owner, Owner]]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    alice = await _owner(runtime, transport, "alice")
    bob = await _owner(runtime, transport, "bob")
    yield alice, bob
    await alice.client.aclose()
    await bob.client.aclose()


async def _trade(runtime: Runtime, alice: Owner, bob: Owner) -> None:
    # alice: two partial fills of a buy, fee in base; then a sell with the fee in quote.
    await _add_order(
        runtime,
        alice,
        OrderSide.BUY,
        [(D("100"), D("0.6"), D("0.0006"), "BTC"), (D("110"), D("0.4"), D("0.0004"), "BTC")],
        T0,
    )
    await _add_order(
        runtime,
        alice,
        OrderSide.SELL,
        [(D("120"), D("0.5"), D("0.06"), "USDT")],
        T0 + timedelta(minutes=5),
    )
    await _add_order(runtime, bob, OrderSide.BUY, [(D("105"), D("2"), D("0"), "USDT")], T0)
    clock = ManualClock(T0)
    async with runtime.db.transaction() as session:
        for owner, equity in ((alice, D("1000")), (bob, D("5000"))):
            await record_equity_snapshot(
                session, clock, bot_id=owner.bot_id, cash=equity, positions_value=D(0)
            )
        await record_denials(
            session,
            clock,
            bot_id=bob.bot_id,
            user_id=bob.user_id,
            drafts=[Draft("BTC/USDT", OrderSide.BUY, D("9"), D("105"))],
            decisions=[RiskDecision(False, "max_order_notional", "too big")],
        )


async def test_orders_when_two_users_each_sees_only_their_own(
    runtime: Runtime, owners: tuple[Owner, Owner]
) -> None:
    alice, bob = owners
    await _trade(runtime, alice, bob)
    mine = (await alice.client.get("/v1/orders")).json()
    assert [o["side"] for o in mine["items"]] == ["sell", "buy"]
    assert {o["account_id"] for o in mine["items"]} == {alice.account_id}
    assert (await alice.client.get("/v1/orders", params={"bot_id": bob.bot_id})).json()[
        "items"
    ] == []
    theirs = (await bob.client.get("/v1/orders")).json()["items"]
    assert [o["bot_id"] for o in theirs] == [bob.bot_id]


async def test_orders_when_filtered_and_paged_returns_matching_pages(
    runtime: Runtime, owners: tuple[Owner, Owner]
) -> None:
    alice, bob = owners
    await _trade(runtime, alice, bob)
    first = (await alice.client.get("/v1/orders", params={"limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_offset"] == 1
    second = (await alice.client.get("/v1/orders", params={"limit": 1, "offset": 1})).json()
    assert second["items"][0]["side"] == "buy"
    since = (T0 + timedelta(minutes=1)).isoformat()
    recent = (await alice.client.get("/v1/orders", params={"since": since})).json()["items"]
    assert [o["side"] for o in recent] == ["sell"]
    filled = await alice.client.get("/v1/orders", params={"status": "filled", "symbol": "BTC/USDT"})
    assert len(filled.json()["items"]) == 2
    bad = await alice.client.get("/v1/orders", params={"status": "bogus"})
    assert bad.status_code == 422


async def test_portfolio_when_two_users_shows_own_positions_equal_to_fills(
    runtime: Runtime, owners: tuple[Owner, Owner]
) -> None:
    alice, bob = owners
    await _trade(runtime, alice, bob)
    body = (await alice.client.get("/v1/portfolio")).json()
    [bot] = body["bots"]
    assert bot["bot_id"] == alice.bot_id
    [position] = bot["positions"]
    assert D(position["quantity"]) == D("0.6") - D("0.0006") + D("0.4") - D("0.0004") - D("0.5")
    assert D(position["mark_price"]) == D("120")
    assert D(bot["fees_in_quote"]) == D("0.06") + D("0.0006") * 100 + D("0.0004") * 110
    assert [D(p["equity"]) for p in bot["equity_series"]] == [D("1000")]
    assert (await alice.client.get("/v1/portfolio", params={"bot_id": bob.bot_id})).json()[
        "bots"
    ] == []
    [bob_bot] = (await bob.client.get("/v1/portfolio")).json()["bots"]
    assert bob_bot["bot_id"] == bob.bot_id
    assert D(bob_bot["positions"][0]["quantity"]) == D("2")


async def test_risk_events_when_two_users_each_sees_only_their_own_denials(
    runtime: Runtime, owners: tuple[Owner, Owner]
) -> None:
    alice, bob = owners
    await _trade(runtime, alice, bob)
    assert (await alice.client.get("/v1/risk/events")).json()["items"] == []
    [event] = (await bob.client.get("/v1/risk/events")).json()["items"]
    assert (event["bot_id"], event["check"], event["reason"]) == (
        bob.bot_id,
        "max_order_notional",
        "too big",
    )


async def test_portfolio_when_bot_has_no_orders_yet_shows_its_equity_to_its_owner_only(
    runtime: Runtime, owners: tuple[Owner, Owner]
) -> None:
    alice, bob = owners
    async with runtime.db.transaction() as session:
        session.add(
            Bot(
                id="bot-fresh",
                user_id=bob.user_id,
                account_id=bob.account_id,
                name="fresh",
                universe=["BTC/USDT"],
                quote_asset="USDT",
                budget=D("500"),
                timeframe="5m",
                created_at=T0,
                updated_at=T0,
            )
        )
        await record_equity_snapshot(
            session, ManualClock(T0), bot_id="bot-fresh", cash=D("500"), positions_value=D(0)
        )
    [fresh] = (await bob.client.get("/v1/portfolio")).json()["bots"]
    assert (fresh["bot_id"], fresh["positions"]) == ("bot-fresh", [])
    assert [D(p["equity"]) for p in fresh["equity_series"]] == [D("500")]
    assert (await alice.client.get("/v1/portfolio")).json()["bots"] == []
