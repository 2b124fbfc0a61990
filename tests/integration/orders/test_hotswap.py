"""HotSwap across two genuinely different dialects: Binance-style failures open the breaker,
market data then comes from the Upbit-dialect venue, new orders go there only where the bot's
policy allows, and everything returns to Binance once the breaker closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from botfolio.audit.service import Actor
from botfolio.config import Settings
from botfolio.exchanges.breaker import BreakerState
from botfolio.exchanges.errors import VenueUnavailableError
from botfolio.exchanges.hotswap import MarketDataRouter, route_new_orders
from botfolio.exchanges.models import ExchangeAccount, ExchangeIncident
from botfolio.exchanges.port import ClientOrderId, OrderSide, OrderType
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.orders.models import OrderStatus
from botfolio.orders.service import OrderIntent, place_order_intent
from botfolio.orders.submission import OrderSubmitter
from botfolio.runtime import Runtime
from botfolio.security.keyring import KeyRing

from .conftest import link_account, venue_runtime_of

SYMBOL = "BTC/USDT"


@pytest.fixture
async def two_venues() -> AsyncIterator[RunningSimulator]:
    config = SimulatorConfig(seed=3)
    usdt = MarketConfig(symbol=SYMBOL, start_price=Decimal("60000"))
    config.upbit.markets = [usdt]
    config.upbit.accounts[0].balances = {"USDT": Decimal("100000"), "BTC": Decimal("1")}
    async with run_simulator(config) as sim:
        yield sim


@pytest.fixture
async def hs_runtime(
    settings: Settings, keyring: KeyRing, two_venues: RunningSimulator
) -> AsyncIterator[Runtime]:
    rt = venue_runtime_of(settings, keyring, two_venues)
    yield rt
    await rt.close()


async def _link(rt: Runtime, sim: RunningSimulator, venue: str) -> ExchangeAccount:
    cred = next(c for c in sim.credentials() if c.venue == venue)
    return await link_account(
        rt, user_id="user-hs", venue=venue, api_key=cred.api_key, secret=cred.secret, label=venue
    )


async def _incident_kinds(rt: Runtime) -> list[str]:
    async with rt.db.session() as session:
        rows = (
            await session.execute(select(ExchangeIncident).order_by(ExchangeIncident.occurred_at))
        ).scalars()
        return [r.kind for r in rows]


async def test_hotswap_when_binance_fails_serves_upbit_then_returns(
    hs_runtime: Runtime, two_venues: RunningSimulator
) -> None:
    rt, sim = hs_runtime, two_venues
    binance, upbit = await _link(rt, sim, "binance"), await _link(rt, sim, "upbit")
    router = MarketDataRouter(
        rt.settings.exchanges, rt.gateways.breaker, rt.gateways.for_market_data, rt.db, rt.clock
    )
    assert (await router.fetch_candles("binance", SYMBOL, "1m", None, 5)).venue == "binance"

    async with sim.control("binance") as control:
        await control.add_fault("http_error", path="/api/v3/*", status=503)
        for _ in range(2):  # two reads, each retried once: a run of 3+ failures opens it
            with pytest.raises(VenueUnavailableError):
                await router.fetch_ticker("binance", SYMBOL)
        assert rt.gateways.breaker("binance").state is BreakerState.OPEN

        swapped = await router.fetch_candles("binance", SYMBOL, "1m", None, 5)
        assert swapped.venue == "upbit" and len(swapped.value) == 5
        assert (await router.fetch_ticker("binance", SYMBOL)).venue == "upbit"

        denied = route_new_orders(
            binance,
            [binance, upbit],
            allow_hotswap=False,
            breaker_open=lambda v: rt.gateways.breaker(v).is_open,
            alternate_venue="upbit",
        )
        allowed = route_new_orders(
            binance,
            [binance, upbit],
            allow_hotswap=True,
            breaker_open=lambda v: rt.gateways.breaker(v).is_open,
            alternate_venue="upbit",
        )
        assert denied.account_id is None and denied.pause_reason is not None
        assert "does not allow HotSwap" in denied.pause_reason
        assert allowed.account_id == upbit.id and allowed.swapped

        async with rt.db.transaction() as session:
            order, _ = await place_order_intent(
                session,
                rt.clock,
                account=upbit,
                intent=OrderIntent(
                    ClientOrderId("bf-hotswap-1"),
                    SYMBOL,
                    OrderSide.BUY,
                    OrderType.LIMIT,
                    Decimal("0.001"),
                    Decimal("70000"),
                ),
                actor=Actor.system(),
            )
        status = await OrderSubmitter(rt.db, rt.gateways, rt.clock).submit(order.id)
        assert status is OrderStatus.FILLED
        assert [o["client_order_id"] for o in await sim.control("upbit").orders()] == [
            "bf-hotswap-1"
        ]

        await control.clear_faults()
    await asyncio.sleep(0.6)  # breaker cool-down in these settings
    back = await router.fetch_candles("binance", SYMBOL, "1m", None, 5)

    assert back.venue == "binance"
    assert rt.gateways.breaker("binance").state is BreakerState.CLOSED
    assert await _incident_kinds(rt) == [
        "breaker_open",
        "hotswap_market_data",
        "hotswap_restored",  # the half-open probe goes to Binance
        "breaker_half_open",
        "breaker_closed",
    ]
