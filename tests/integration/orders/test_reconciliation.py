"""Reconciliation makes BotFolio's orders equal the venue's, and blocks trading until they do."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import ccxt.async_support as ccxt
import pytest

from botfolio.exchanges.ccxt_factory import build_ccxt_exchange
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import OrderSide, OrderType
from botfolio.orders.models import OrderStatus
from botfolio.orders.submission import OrderStillInFlightError

from .conftest import Venue


async def _account(venue: Venue) -> ExchangeAccount:
    async with venue.runtime.db.session() as session:
        account = await session.get(ExchangeAccount, venue.account.id)
        assert account is not None
        return account


async def _place_directly_on_venue(venue: Venue, client_id: str) -> None:
    """An order someone placed with the same key outside BotFolio."""
    secret = next(c.secret for c in venue.sim.credentials() if c.api_key == venue.api_key)
    settings = venue.runtime.settings.exchanges.venues["binance"]
    exchange: ccxt.Exchange = build_ccxt_exchange(settings, venue.api_key, secret)
    try:
        await exchange.create_order(
            "BTC/USDT", "limit", "buy", 0.02, 1000, {"clientOrderId": client_id}
        )
    finally:
        await exchange.close()


async def test_reconcile_when_response_was_lost_settles_and_unblocks(venue: Venue) -> None:
    await venue.control.add_fault("response_lost", path="/api/v3/order", method="POST", count=1)
    order = await venue.place("bf-rec-lost-1")
    with pytest.raises(OrderStillInFlightError):
        await venue.submitter().submit(order.id)

    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert report.in_agreement
    assert report.settled == 1
    assert (await venue.order(order.id)).status == OrderStatus.FILLED.value
    assert (await _account(venue)).trading_blocked_reason is None
    assert len(await venue.venue_orders()) == 1


async def test_reconcile_when_venue_has_foreign_order_blocks_the_account(venue: Venue) -> None:
    await _place_directly_on_venue(venue, "manual-order-1")

    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert report.unknown_venue_orders == ["manual-order-1"]
    blocked = (await _account(venue)).trading_blocked_reason
    assert blocked is not None and "not placed by BotFolio" in blocked


async def test_reconcile_refreshes_live_limit_order_after_it_fills(venue: Venue) -> None:
    order = await venue.place(
        "bf-rec-limit-1", side=OrderSide.SELL, type_=OrderType.LIMIT, price="1000", amount="0.01"
    )
    await venue.submitter().submit(order.id)  # far below market: fills at once as a taker

    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert report.in_agreement
    stored = await venue.order(order.id)
    assert stored.status == OrderStatus.FILLED.value
    assert stored.filled == Decimal("0.01")


async def test_reconcile_when_venue_unreachable_leaves_order_in_flight_and_blocks(
    venue: Venue,
) -> None:
    await venue.control.add_fault("drop", path="/api/v3/order", method="POST", count=1)
    order = await venue.place("bf-rec-down-1")
    with pytest.raises(OrderStillInFlightError):
        await venue.submitter().submit(order.id)
    await venue.control.add_fault("http_error", path="/api/v3/order", method="GET", status=503)

    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert report.still_in_flight == ["bf-rec-down-1"]
    assert (await _account(venue)).trading_blocked_reason is not None
    await venue.control.clear_faults()
    await asyncio.sleep(0.6)  # the breaker's cool-down (0.5 s in these tests)
    assert (await venue.reconciler().reconcile_account(venue.account.id)).in_agreement
    assert (await _account(venue)).trading_blocked_reason is None
    assert [o["client_order_id"] for o in await venue.venue_orders()] == ["bf-rec-down-1"]
