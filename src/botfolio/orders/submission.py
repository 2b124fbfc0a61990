"""Submitting one order so that it can never be duplicated or lost.

1. The row (status NEW, deterministic client order id) was committed before we get here.
2. Mark it SUBMITTING in its own committed transaction, then call the venue.
3. CONFIRMED -> store the venue's view. REJECTED (the reply proves it) -> final.
   UNKNOWN (timeout, 5xx, transport) -> stays in flight; never re-placed blind.
4. An in-flight order is settled by asking the venue for its client order id; only when the venue
   says it does not exist (and the grace period for late arrival has passed) is it resubmitted,
   under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.errors import NotFoundError, TemporaryError
from botfolio.exchanges.breaker import BreakerOpenError
from botfolio.exchanges.errors import (
    CredentialsRejectedError,
    OrderNotFoundOnVenueError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RejectReason,
)
from botfolio.exchanges.port import (
    ClientOrderId,
    ExchangeGateway,
    OrderReport,
    OrderSide,
    OrderType,
    SubmitOrder,
)
from botfolio.logs import get_logger
from botfolio.orders.metrics import ORDER_OUTCOMES
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.outcomes import apply_report, apply_report_to_claimed
from botfolio.orders.repository import (
    ClaimedOrder,
    claim_new_order,
    claimed_from,
    get_order_for_update,
)

log = get_logger(__name__)


class GatewayProvider(Protocol):
    async def for_account(self, account_id: str) -> ExchangeGateway: ...

    async def credentials_rejected(self, account_id: str, reason: str) -> None: ...


class OrderStillInFlightError(TemporaryError):
    """The venue cannot tell yet; the job retries later with backoff."""

    code = "order_in_flight"


@dataclass(frozen=True)
class SubmissionPolicy:
    unknown_grace: timedelta = timedelta(seconds=5)
    max_resubmissions: int = 3


class OrderSubmitter:
    def __init__(
        self,
        db: Database,
        gateways: GatewayProvider,
        clock: Clock,
        policy: SubmissionPolicy | None = None,
    ) -> None:
        self._db = db
        self._gateways = gateways
        self._clock = clock
        self._policy = policy or SubmissionPolicy()

    async def submit(self, order_id: str) -> OrderStatus:
        """Drive the order until the venue has a definite view of it (idempotent)."""
        for _ in range(self._policy.max_resubmissions + 1):
            claim = await self._claim(order_id)
            if claim is None:
                return await self._status(order_id)
            claimed, was_in_flight = claim
            gateway = await self._gateways.for_account(claimed.account_id)
            if was_in_flight:
                if not await self._needs_resubmission(order_id, _command_of(claimed), gateway):
                    return await self._status(order_id)
                continue  # back to NEW: claim it again so SUBMITTING is committed first
            status = await self._send(claimed, gateway)
            if status is not OrderStatus.NEW:
                return status
        raise OrderStillInFlightError(f"order {order_id} could not be settled yet")

    async def settle(self, order_id: str) -> OrderStatus:
        """Reconciliation's entry: ask the venue about an in-flight order, resubmit if absent."""
        return await self.submit(order_id)

    async def _claim(self, order_id: str) -> tuple[ClaimedOrder, bool] | None:
        """NEW -> SUBMITTING (committed before the request leaves). None if nothing to send.

        Returns the claimed row and whether it was already in flight (to be asked about, not
        sent). The usual case, a NEW order, is one UPDATE .. RETURNING; anything else takes the
        locked read.
        """
        async with self._db.transaction() as session:
            claimed = await claim_new_order(session, order_id, self._clock.now())
            if claimed is not None:
                return claimed, False
            return await self._claim_locked(session, order_id)

    async def _claim_locked(
        self, session: AsyncSession, order_id: str
    ) -> tuple[ClaimedOrder, bool] | None:
        """The order was not NEW a moment ago: missing, in flight, final, or reset meanwhile."""
        order = await get_order_for_update(session, order_id)
        if order is None:
            raise NotFoundError(f"order {order_id} does not exist")
        status = OrderStatus(order.status)
        if status is not OrderStatus.NEW and not status.is_in_flight:
            return None
        was_in_flight = status.is_in_flight
        if not was_in_flight:
            now = self._clock.now()
            order.status = OrderStatus.SUBMITTING.value
            order.submit_attempts += 1
            order.last_submit_at = now
            order.updated_at = now
        return claimed_from(order), was_in_flight

    async def _needs_resubmission(
        self, order_id: str, command: SubmitOrder, gateway: ExchangeGateway
    ) -> bool:
        """For an in-flight order: True once the venue says it does not exist (after the grace)."""
        try:
            report = await gateway.fetch_order(command.client_order_id, command.symbol)
        except OrderNotFoundOnVenueError:
            return await self._reset_for_resubmission(order_id)
        except CredentialsRejectedError:
            raise
        except TemporaryError as exc:
            raise OrderStillInFlightError(f"order {order_id}: venue unreachable ({exc})") from exc
        await self._record(order_id, report, outcome="settled")
        return False

    async def _reset_for_resubmission(self, order_id: str) -> bool:
        async with self._db.transaction() as session:
            order = await get_order_for_update(session, order_id)
            if order is None or not OrderStatus(order.status).is_in_flight:
                return False
            sent_at = order.last_submit_at or order.created_at
            if self._clock.now() - sent_at < self._policy.unknown_grace:
                raise OrderStillInFlightError(
                    f"order {order_id} not visible on the venue yet; waiting out the grace period"
                )
            order.status = OrderStatus.NEW.value
            order.updated_at = self._clock.now()
        ORDER_OUTCOMES.labels(venue=order.venue, outcome="resubmitted").inc()
        log.info("order.resubmitting", order_id=order_id, client_order_id=order.client_order_id)
        return True

    async def _send(self, claimed: ClaimedOrder, gateway: ExchangeGateway) -> OrderStatus:
        order_id, account_id = claimed.id, claimed.account_id
        try:
            report = await gateway.create_order(_command_of(claimed))
        except BreakerOpenError as exc:
            await self._release_unsent(order_id)
            raise OrderStillInFlightError(f"order {order_id} held: {exc.message}") from exc
        except OrderRejectedError as exc:
            if exc.reason is RejectReason.DUPLICATE_CLIENT_ORDER_ID:
                return await self._mark_unknown(order_id, f"venue reports a duplicate: {exc}")
            return await self._mark_rejected(order_id, f"{exc.reason.value}: {exc.message}")
        except OrderOutcomeUnknownError as exc:
            return await self._mark_unknown(order_id, exc.message)
        except CredentialsRejectedError as exc:
            await self._mark_rejected(order_id, f"credentials rejected: {exc.message}")
            await self._gateways.credentials_rejected(account_id, exc.message)
            raise
        return await self._record(order_id, report, outcome="confirmed", claimed=claimed)

    async def _release_unsent(self, order_id: str) -> None:
        """The request never left (refused locally): back to NEW, this attempt not counted."""
        async with self._db.transaction() as session:
            order = await get_order_for_update(session, order_id)
            if order is not None and order.status == OrderStatus.SUBMITTING.value:
                order.status = OrderStatus.NEW.value
                order.submit_attempts -= 1
                order.updated_at = self._clock.now()

    async def _record(
        self,
        order_id: str,
        report: OrderReport,
        *,
        outcome: str,
        claimed: ClaimedOrder | None = None,
    ) -> OrderStatus:
        """Store the venue's answer: from our claim's snapshot in one UPDATE when the row is
        unchanged since, else by locking and re-reading it."""
        async with self._db.transaction() as session:
            now = self._clock.now()
            status = (
                await apply_report_to_claimed(session, claimed, report, now)
                if claimed is not None
                else None
            )
            venue = claimed.venue if claimed is not None else None
            if status is None:
                order = await get_order_for_update(session, order_id)
                if order is None:
                    raise NotFoundError(f"order {order_id} does not exist")
                status = await apply_report(session, order, report, now)
                venue = order.venue
        ORDER_OUTCOMES.labels(venue=venue, outcome=outcome).inc()
        log.info("order.confirmed", order_id=order_id, status=status.value, outcome=outcome)
        return status

    async def _mark_rejected(self, order_id: str, reason: str) -> OrderStatus:
        return await self._set_status(order_id, OrderStatus.REJECTED, reason, outcome="rejected")

    async def _mark_unknown(self, order_id: str, error: str) -> OrderStatus:
        await self._set_status(order_id, OrderStatus.UNKNOWN, error, outcome="unknown")
        raise OrderStillInFlightError(f"order {order_id} outcome unknown: {error}")

    async def _set_status(
        self, order_id: str, status: OrderStatus, text: str, *, outcome: str
    ) -> OrderStatus:
        async with self._db.transaction() as session:
            order = await get_order_for_update(session, order_id)
            if order is None:
                raise NotFoundError(f"order {order_id} does not exist")
            order.status = status.value
            order.last_error = text
            if status is OrderStatus.REJECTED:
                order.reject_reason = text
            order.updated_at = self._clock.now()
        ORDER_OUTCOMES.labels(venue=order.venue, outcome=outcome).inc()
        log.info("order.outcome", order_id=order_id, status=status.value, detail=text)
        return status

    async def _status(self, order_id: str) -> OrderStatus:
        async with self._db.session() as session:
            order = await session.get(Order, order_id)
            if order is None:
                raise NotFoundError(f"order {order_id} does not exist")
            return OrderStatus(order.status)


def _command_of(order: ClaimedOrder) -> SubmitOrder:
    return SubmitOrder(
        client_order_id=ClientOrderId(order.client_order_id),
        symbol=order.symbol,
        side=OrderSide(order.side),
        type=OrderType(order.type),
        amount=Decimal(order.amount),
        price=order.price,
    )
