"""The one-statement claim and record of a submission, and the locked paths they fall back to."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import func, select, update

from botfolio.audit.models import AuditEvent
from botfolio.errors import NotFoundError
from botfolio.exchanges.port import ExchangeGateway, OrderReport, OrderType, SubmitOrder
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.submission import OrderSubmitter

from .conftest import Venue


class _MeddlingGateways:
    """Hands out the real gateway, wrapped so that a concurrent writer (reconciliation, say)
    changes the order row while the request is on its way to the venue."""

    def __init__(self, venue: Venue, **changes: object) -> None:
        self._venue = venue
        self._changes = changes

    async def for_account(self, account_id: str) -> ExchangeGateway:
        inner = await self._venue.runtime.gateways.for_account(account_id)
        return cast(ExchangeGateway, _Meddling(inner, self))

    async def credentials_rejected(self, account_id: str, reason: str) -> None:
        await self._venue.runtime.gateways.credentials_rejected(account_id, reason)

    async def meddle(self, command: SubmitOrder) -> None:
        async with self._venue.runtime.db.transaction() as session:
            await session.execute(
                update(Order)
                .where(Order.client_order_id == command.client_order_id)
                .values(**self._changes)
            )


class _Meddling:
    def __init__(self, inner: ExchangeGateway, owner: _MeddlingGateways) -> None:
        self._inner = inner
        self._owner = owner

    async def create_order(self, command: SubmitOrder) -> OrderReport:
        await self._owner.meddle(command)
        return await self._inner.create_order(command)


def _submitter(venue: Venue, gateways: _MeddlingGateways) -> OrderSubmitter:
    return OrderSubmitter(venue.runtime.db, gateways, venue.runtime.clock)


async def test_submit_when_row_changed_during_request_records_by_locked_read(venue: Venue) -> None:
    order = await venue.place("bf-meddled-1")
    # A writer got there first with more than the venue's answer will say: the guarded UPDATE
    # must not match, and the locked path must keep the larger filled quantity.
    gateways = _MeddlingGateways(venue, status=OrderStatus.OPEN.value, filled=Decimal("0.02"))

    status = await _submitter(venue, gateways).submit(order.id)

    stored = await venue.order(order.id)
    assert status is OrderStatus.FILLED
    assert stored.status == OrderStatus.FILLED.value
    assert stored.filled == Decimal("0.02")  # never backwards
    assert stored.venue_order_id


async def test_submit_when_attempt_changed_during_request_still_records_answer(
    venue: Venue,
) -> None:
    order = await venue.place("bf-meddled-2")
    gateways = _MeddlingGateways(venue, submit_attempts=Order.submit_attempts + 1)

    status = await _submitter(venue, gateways).submit(order.id)

    stored = await venue.order(order.id)
    assert status is OrderStatus.FILLED
    assert stored.filled == Decimal("0.01")
    assert stored.submit_attempts == 2


async def test_submit_when_order_unchanged_records_answer_in_one_update(venue: Venue) -> None:
    order = await venue.place("bf-limit-1", type_=OrderType.LIMIT, price="1000")

    status = await venue.submitter().submit(order.id)

    stored = await venue.order(order.id)
    assert status is OrderStatus.OPEN
    assert stored.status == OrderStatus.OPEN.value
    assert stored.submit_attempts == 1
    assert stored.last_submit_at is not None
    assert stored.filled == Decimal(0)
    assert stored.venue_order_id


async def test_submit_when_order_already_final_sends_nothing(venue: Venue) -> None:
    order = await venue.place("bf-final-1")
    assert await venue.submitter().submit(order.id) is OrderStatus.FILLED

    again = await venue.submitter().submit(order.id)

    assert again is OrderStatus.FILLED
    assert (await venue.order(order.id)).submit_attempts == 1
    assert len(await venue.venue_orders()) == 1


async def test_submit_when_order_missing_raises_not_found(venue: Venue) -> None:
    with pytest.raises(NotFoundError):
        await venue.submitter().submit("no-such-order")


async def test_place_when_client_id_repeats_writes_one_row_and_one_audit_event(
    venue: Venue,
) -> None:
    first = await venue.place("bf-twice-1")
    second = await venue.place("bf-twice-1", amount="0.5")

    assert second.id == first.id
    assert second.amount == Decimal("0.01")
    async with venue.runtime.db.session() as session:
        events = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "order.created", AuditEvent.target_id == first.id)
        )
    assert events == 1
