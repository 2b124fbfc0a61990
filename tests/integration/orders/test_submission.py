"""Order submission on the real CCXT -> simulator path: no duplicate, no orphan, whatever fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from botfolio.exchanges.errors import CredentialsRejectedError
from botfolio.exchanges.models import ExchangeAccount, ExchangeIncident
from botfolio.exchanges.port import OrderSide, OrderType
from botfolio.jobs.models import Job
from botfolio.orders.models import OrderStatus
from botfolio.orders.submission import OrderStillInFlightError

from .conftest import Venue


async def test_submit_market_order_when_venue_healthy_is_filled_once(venue: Venue) -> None:
    order = await venue.place("bf-healthy-1")

    status = await venue.submitter().submit(order.id)

    assert status is OrderStatus.FILLED
    stored = await venue.order(order.id)
    assert stored.filled == Decimal("0.01")
    assert stored.venue_order_id
    assert [o["client_order_id"] for o in await venue.venue_orders()] == ["bf-healthy-1"]


async def test_order_intent_is_committed_with_its_submit_job(venue: Venue) -> None:
    order = await venue.place("bf-outbox-1")
    again = await venue.place("bf-outbox-1")

    assert again.id == order.id
    async with venue.runtime.db.session() as session:
        jobs = (
            (await session.execute(select(Job).where(Job.kind == "orders.submit"))).scalars().all()
        )
    assert [j.payload for j in jobs] == [{"order_id": order.id}]
    assert await venue.venue_orders() == []


async def test_submit_when_response_lost_reconciles_without_duplicate(venue: Venue) -> None:
    await venue.control.add_fault("response_lost", path="/api/v3/order", method="POST", count=1)
    order = await venue.place("bf-lost-1")

    with pytest.raises(OrderStillInFlightError):
        await venue.submitter().submit(order.id)
    assert (await venue.order(order.id)).status == OrderStatus.UNKNOWN.value

    status = await venue.submitter().submit(order.id)

    assert status is OrderStatus.FILLED
    assert len(await venue.venue_orders()) == 1


async def test_submit_when_venue_answers_503_resubmits_same_id_once_absent(venue: Venue) -> None:
    await venue.control.add_fault(
        "http_error", path="/api/v3/order", method="POST", status=503, count=1
    )
    order = await venue.place("bf-503-1")

    with pytest.raises(OrderStillInFlightError):
        await venue.submitter().submit(order.id)
    assert await venue.venue_orders() == []

    status = await venue.submitter().submit(order.id)

    assert status is OrderStatus.FILLED
    venue_side = await venue.venue_orders()
    assert [o["client_order_id"] for o in venue_side] == ["bf-503-1"]
    assert (await venue.order(order.id)).submit_attempts == 2


async def test_submit_when_unknown_and_inside_grace_waits_instead_of_resubmitting(
    venue: Venue,
) -> None:
    await venue.control.add_fault("drop", path="/api/v3/order", method="POST", count=1)
    order = await venue.place("bf-grace-1")
    with pytest.raises(OrderStillInFlightError):
        await venue.submitter(grace=3600).submit(order.id)

    with pytest.raises(OrderStillInFlightError, match="grace"):
        await venue.submitter(grace=3600).submit(order.id)

    assert await venue.venue_orders() == []
    assert (await venue.order(order.id)).status == OrderStatus.UNKNOWN.value


async def test_submit_when_insufficient_funds_is_rejected_and_final(venue: Venue) -> None:
    order = await venue.place("bf-poor-1", amount="1000")

    status = await venue.submitter().submit(order.id)

    assert status is OrderStatus.REJECTED
    stored = await venue.order(order.id)
    assert stored.reject_reason is not None and "insufficient_funds" in stored.reject_reason
    assert await venue.venue_orders() == []
    assert await venue.submitter().submit(order.id) is OrderStatus.REJECTED


async def test_submit_limit_order_rests_open_on_the_venue(venue: Venue) -> None:
    order = await venue.place("bf-limit-1", side=OrderSide.BUY, type_=OrderType.LIMIT, price="1000")

    status = await venue.submitter().submit(order.id)

    assert status is OrderStatus.OPEN
    assert [o["status"] for o in await venue.venue_orders()] == ["NEW"]


async def test_submit_when_credentials_expired_stops_the_account(venue: Venue) -> None:
    await venue.control.add_fault("credentials_expired", api_key=venue.api_key)
    order = await venue.place("bf-expired-1")

    with pytest.raises(CredentialsRejectedError):
        await venue.submitter().submit(order.id)

    async with venue.runtime.db.session() as session:
        account = await session.get(ExchangeAccount, venue.account.id)
        incidents = (await session.execute(select(ExchangeIncident))).scalars().all()
    assert account is not None and account.status == "credentials_invalid"
    assert [i.kind for i in incidents] == ["credentials_rejected"]
    assert (await venue.order(order.id)).status == OrderStatus.REJECTED.value
    assert await venue.venue_orders() == []
