"""Applying what a venue reported to our order row (status, venue id, fills), idempotently."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.exchanges.port import OrderReport, VenueOrderStatus
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.repository import ClaimedOrder, add_fill_once, record_answer_if_unchanged

_STATUS_FROM_VENUE = {
    VenueOrderStatus.OPEN: OrderStatus.OPEN,
    VenueOrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    VenueOrderStatus.FILLED: OrderStatus.FILLED,
    VenueOrderStatus.CANCELED: OrderStatus.CANCELED,
    VenueOrderStatus.REJECTED: OrderStatus.REJECTED,
    VenueOrderStatus.EXPIRED: OrderStatus.EXPIRED,
}


def report_values(report: OrderReport, current_filled: Decimal, now: datetime) -> dict[str, Any]:
    """The columns that make a row say what the venue says, given the row's filled quantity.

    Filled quantity never goes backwards: an older report leaves the fill columns alone. A venue
    that omits the average price or fee asset leaves what we had (the column is not written).
    """
    values: dict[str, Any] = {
        "status": _STATUS_FROM_VENUE[report.status].value,
        "venue_order_id": report.venue_order_id,
        "last_error": None,
        "updated_at": now,
    }
    if report.filled >= current_filled:
        values["filled"] = report.filled
        values["fee"] = report.fee
        if report.average_price:
            values["average_price"] = report.average_price
        if report.fee_asset:
            values["fee_asset"] = report.fee_asset
    return values


async def apply_report(
    session: AsyncSession, order: Order, report: OrderReport, now: datetime
) -> OrderStatus:
    """Make the (locked, ORM-loaded) row say what the venue says."""
    for column, value in report_values(report, order.filled, now).items():
        setattr(order, column, value)
    for fill in report.fills:
        await add_fill_once(session, order, fill, now)
    return _STATUS_FROM_VENUE[report.status]


async def apply_report_to_claimed(
    session: AsyncSession, claimed: ClaimedOrder, report: OrderReport, now: datetime
) -> OrderStatus | None:
    """The submitter's fast path: one guarded UPDATE from the claim's snapshot of the row.

    None when the row changed since the claim; the caller then locks, re-reads and uses
    `apply_report`, so the result is the same as if we had read the row first.
    """
    values = report_values(report, claimed.filled, now)
    if not await record_answer_if_unchanged(session, claimed, values):
        return None
    for fill in report.fills:
        await add_fill_once(session, claimed, fill, now)
    return _STATUS_FROM_VENUE[report.status]
