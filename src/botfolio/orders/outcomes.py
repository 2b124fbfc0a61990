"""Applying what a venue reported to our order row (status, venue id, fills), idempotently."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.exchanges.port import OrderReport, VenueOrderStatus
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.repository import add_fill_once

_STATUS_FROM_VENUE = {
    VenueOrderStatus.OPEN: OrderStatus.OPEN,
    VenueOrderStatus.PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED,
    VenueOrderStatus.FILLED: OrderStatus.FILLED,
    VenueOrderStatus.CANCELED: OrderStatus.CANCELED,
    VenueOrderStatus.REJECTED: OrderStatus.REJECTED,
    VenueOrderStatus.EXPIRED: OrderStatus.EXPIRED,
}


async def apply_report(
    session: AsyncSession, order: Order, report: OrderReport, now: datetime
) -> OrderStatus:
    """Make the row say what the venue says. Filled quantity never goes backwards."""
    status = _STATUS_FROM_VENUE[report.status]
    order.status = status.value
    order.venue_order_id = report.venue_order_id
    if report.filled >= order.filled:
        order.filled = report.filled
        order.average_price = report.average_price or order.average_price
        order.fee = report.fee
        order.fee_asset = report.fee_asset or order.fee_asset
    order.last_error = None
    order.updated_at = now
    for fill in report.fills:
        await add_fill_once(session, order, fill, now)
    return status
