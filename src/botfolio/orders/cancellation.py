"""Cancelling an order: ask the venue, then record what the venue says (never what we hoped).

A cancel whose answer is lost is settled by looking the order up: it may have been cancelled,
or it may have filled first. Either way the row ends up saying what the venue says.
"""

from __future__ import annotations

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.errors import ConflictError, NotFoundError
from botfolio.exchanges.errors import OrderNotFoundOnVenueError, VenueUnavailableError
from botfolio.exchanges.port import ClientOrderId, ExchangeGateway, OrderReport
from botfolio.logs import get_logger
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.outcomes import apply_report
from botfolio.orders.repository import get_order_for_update
from botfolio.orders.submission import GatewayProvider, OrderStillInFlightError

log = get_logger(__name__)


class OrderCanceller:
    def __init__(self, db: Database, gateways: GatewayProvider, clock: Clock) -> None:
        self._db = db
        self._gateways = gateways
        self._clock = clock

    async def cancel(self, order_id: str) -> OrderStatus:
        order = await self._load(order_id)
        status = OrderStatus(order.status)
        if status.is_final:
            return status
        if status is OrderStatus.NEW:
            return await self._cancel_unsent(order_id)
        if status.is_in_flight:
            raise ConflictError(f"order {order_id} is in flight; it is settled before a cancel")
        gateway = await self._gateways.for_account(order.account_id)
        cid = ClientOrderId(order.client_order_id)
        try:
            report = await gateway.cancel_order(cid, order.symbol)
        except (VenueUnavailableError, OrderNotFoundOnVenueError) as exc:
            report = await self._look_up(gateway, cid, order, exc)
        return await self._record(order_id, report)

    async def _look_up(
        self, gateway: ExchangeGateway, cid: ClientOrderId, order: Order, cause: Exception
    ) -> OrderReport:
        """The cancel's outcome is unknown: the venue's current view settles it."""
        log.info("order.cancel_unconfirmed", order_id=order.id, error=str(cause))
        try:
            return await gateway.fetch_order(cid, order.symbol)
        except VenueUnavailableError as exc:
            raise OrderStillInFlightError(
                f"cancel of {order.id} unconfirmed; venue unreachable"
            ) from exc

    async def _cancel_unsent(self, order_id: str) -> OrderStatus:
        """Never sent: cancelling is purely ours (the submit job will find it final)."""
        async with self._db.transaction() as session:
            order = await get_order_for_update(session, order_id)
            if order is None:
                raise NotFoundError(f"order {order_id} does not exist")
            if order.status != OrderStatus.NEW.value:
                return OrderStatus(order.status)
            order.status = OrderStatus.CANCELED.value
            order.updated_at = self._clock.now()
        return OrderStatus.CANCELED

    async def _record(self, order_id: str, report: OrderReport) -> OrderStatus:
        async with self._db.transaction() as session:
            order = await get_order_for_update(session, order_id)
            if order is None:
                raise NotFoundError(f"order {order_id} does not exist")
            return await apply_report(session, order, report, self._clock.now())

    async def _load(self, order_id: str) -> Order:
        async with self._db.session() as session:
            order = await session.get(Order, order_id)
        if order is None:
            raise NotFoundError(f"order {order_id} does not exist")
        return order
