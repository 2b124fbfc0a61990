"""Every fault kind on create, cancel and fetch, on the real CCXT -> simulator path: once the
fault clears and BotFolio settles, its order state equals the venue's. No duplicate, no orphan."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from botfolio.exchanges.port import OrderSide, OrderType
from botfolio.orders.cancellation import OrderCanceller
from botfolio.orders.models import OrderStatus
from botfolio.orders.submission import OrderStillInFlightError

from .conftest import Venue

FAULTS: list[dict[str, Any]] = [
    {"kind": "http_error", "status": 500},
    {"kind": "http_error", "status": 503},
    {"kind": "http_error", "status": 504},
    {"kind": "http_error", "status": 429},
    {"kind": "http_error", "status": 418},
    {"kind": "drop"},
    {"kind": "response_lost"},
    {"kind": "latency", "latency_ms": 2500},  # beyond the 1.5 s client timeout
]
VENUE_STATUS = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
}


def _fault_id(fault: dict[str, Any]) -> str:
    return f"{fault['kind']}-{fault.get('status', fault.get('latency_ms', ''))}".rstrip("-")


async def _settle(venue: Venue, order_id: str) -> None:
    """After the fault: reconciliation (with the breaker's cool-down) brings agreement."""
    await venue.control.clear_faults()
    for _ in range(20):
        await asyncio.sleep(0.6)
        if (await venue.reconciler().reconcile_account(venue.account.id)).in_agreement:
            return
    raise AssertionError("reconciliation never reached agreement")


async def _assert_same_as_venue(venue: Venue, order_id: str, client_id: str) -> OrderStatus:
    on_venue = [o for o in await venue.venue_orders() if o["client_order_id"] == client_id]
    ours = await venue.order(order_id)
    assert len(on_venue) <= 1, "duplicate order on the venue"
    if not on_venue:
        assert ours.status in (OrderStatus.REJECTED.value, OrderStatus.CANCELED.value)
        return OrderStatus(ours.status)
    assert ours.status == VENUE_STATUS[on_venue[0]["status"]].value
    assert ours.venue_order_id == str(on_venue[0]["order_id"])
    return OrderStatus(ours.status)


@pytest.mark.parametrize("fault", FAULTS, ids=_fault_id)
async def test_create_under_fault_ends_equal_to_venue(venue: Venue, fault: dict[str, Any]) -> None:
    await venue.control.add_fault(path="/api/v3/order", method="POST", count=1, **fault)
    order = await venue.place("bf-fault-create")

    with contextlib.suppress(OrderStillInFlightError):
        await venue.submitter().submit(order.id)
    await _settle(venue, order.id)

    assert await _assert_same_as_venue(venue, order.id, "bf-fault-create") is OrderStatus.FILLED


@pytest.mark.parametrize("fault", FAULTS, ids=_fault_id)
async def test_cancel_under_fault_ends_equal_to_venue(venue: Venue, fault: dict[str, Any]) -> None:
    order = await venue.place("bf-fault-cancel", type_=OrderType.LIMIT, price="1000")
    assert await venue.submitter().submit(order.id) is OrderStatus.OPEN
    await venue.control.add_fault(path="/api/v3/order", method="DELETE", count=1, **fault)
    canceller = OrderCanceller(venue.runtime.db, venue.runtime.gateways, venue.runtime.clock)

    with contextlib.suppress(OrderStillInFlightError):
        await canceller.cancel(order.id)
    await venue.control.clear_faults()
    await asyncio.sleep(0.6)
    final = await canceller.cancel(order.id)  # the user (or a job) asks again
    await _settle(venue, order.id)

    assert final is OrderStatus.CANCELED
    assert await _assert_same_as_venue(venue, order.id, "bf-fault-cancel") is OrderStatus.CANCELED


@pytest.mark.parametrize("fault", FAULTS, ids=_fault_id)
async def test_fetch_under_fault_blocks_then_agrees(venue: Venue, fault: dict[str, Any]) -> None:
    order = await venue.place(
        "bf-fault-fetch", side=OrderSide.BUY, type_=OrderType.LIMIT, price="1000"
    )
    await venue.submitter().submit(order.id)
    await venue.control.add_fault(path="/api/v3/order", method="GET", **fault)

    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert not report.in_agreement
    await _settle(venue, order.id)
    assert await _assert_same_as_venue(venue, order.id, "bf-fault-fetch") is OrderStatus.OPEN
