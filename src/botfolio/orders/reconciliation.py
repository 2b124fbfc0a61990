"""Reconciliation, at start-up and continuously: BotFolio's orders are made to match the venue's.

In-flight orders are settled by client order id; live orders are refreshed and their fills
applied; venue orders that BotFolio did not place are reported. While anything disagrees, the
account is blocked from trading (`trading_blocked_reason`) and an incident is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.exchanges.accounts import get_account
from botfolio.exchanges.errors import OrderNotFoundOnVenueError, VenueUnavailableError
from botfolio.exchanges.incidents import record_incident
from botfolio.exchanges.port import ClientOrderId, ExchangeGateway
from botfolio.logs import get_logger
from botfolio.orders.metrics import RECONCILIATION_MISMATCHES
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.outcomes import apply_report
from botfolio.orders.repository import (
    add_fill_once,
    get_order_for_update,
    known_client_ids,
    orders_to_reconcile,
)
from botfolio.orders.submission import GatewayProvider, OrderStillInFlightError, OrderSubmitter

log = get_logger(__name__)


@dataclass
class ReconciliationReport:
    account_id: str
    settled: int = 0
    refreshed: int = 0
    fills_applied: int = 0
    still_in_flight: list[str] = field(default_factory=list)
    unknown_venue_orders: list[str] = field(default_factory=list)
    venue_unreachable: bool = False

    @property
    def in_agreement(self) -> bool:
        return not (self.still_in_flight or self.unknown_venue_orders or self.venue_unreachable)


class Reconciler:
    def __init__(
        self, db: Database, gateways: GatewayProvider, submitter: OrderSubmitter, clock: Clock
    ) -> None:
        self._db = db
        self._gateways = gateways
        self._submitter = submitter
        self._clock = clock

    async def reconcile_account(self, account_id: str) -> ReconciliationReport:
        report = ReconciliationReport(account_id)
        gateway = await self._gateways.for_account(account_id)
        async with self._db.session() as session:
            orders = list(await orders_to_reconcile(session, account_id))
        try:
            for order in orders:
                if OrderStatus(order.status).is_in_flight:
                    await self._settle(order, report)
                else:
                    await self._refresh(order, gateway, report)
            await self._find_unknown_venue_orders(account_id, gateway, report)
        except VenueUnavailableError as exc:
            # Cannot compare with a venue we cannot reach: stay blocked until we can.
            report.venue_unreachable = True
            report.still_in_flight.extend(
                o.client_order_id
                for o in orders
                if OrderStatus(o.status).is_in_flight
                and o.client_order_id not in report.still_in_flight
            )
            log.warning(
                "orders.reconciliation_venue_unreachable", account_id=account_id, error=exc.message
            )
        await self._record_verdict(account_id, report)
        return report

    async def _settle(self, order: Order, report: ReconciliationReport) -> None:
        try:
            await self._submitter.settle(order.id)
            report.settled += 1
        except OrderStillInFlightError:
            report.still_in_flight.append(order.client_order_id)

    async def _refresh(
        self, order: Order, gateway: ExchangeGateway, report: ReconciliationReport
    ) -> None:
        try:
            venue_view = await gateway.fetch_order(
                ClientOrderId(order.client_order_id), order.symbol
            )
        except OrderNotFoundOnVenueError:
            RECONCILIATION_MISMATCHES.labels(order.venue, "live_order_missing_on_venue").inc()
            report.still_in_flight.append(order.client_order_id)
            return
        fills = await gateway.fetch_my_trades(order.symbol, since=order.created_at)
        own_fills = [f for f in fills if f.venue_order_id == venue_view.venue_order_id]
        async with self._db.transaction() as session:
            row = await get_order_for_update(session, order.id)
            if row is None:
                return
            await apply_report(session, row, venue_view, self._clock.now())
            for fill in own_fills:
                report.fills_applied += int(
                    await add_fill_once(session, row, fill, self._clock.now())
                )
        report.refreshed += 1

    async def _find_unknown_venue_orders(
        self, account_id: str, gateway: ExchangeGateway, report: ReconciliationReport
    ) -> None:
        open_on_venue = await gateway.fetch_open_orders()
        async with self._db.session() as session:
            known = await known_client_ids(session, account_id)
        for venue_order in open_on_venue:
            if venue_order.client_order_id not in known:
                RECONCILIATION_MISMATCHES.labels(gateway.venue, "unknown_venue_order").inc()
                report.unknown_venue_orders.append(
                    venue_order.client_order_id or venue_order.venue_order_id
                )

    async def _record_verdict(self, account_id: str, report: ReconciliationReport) -> None:
        async with self._db.transaction() as session:
            account = await get_account(session, account_id)
            if report.in_agreement:
                account.trading_blocked_reason = None
                return
            reason = (
                f"reconciliation: {len(report.still_in_flight)} order(s) unsettled, "
                f"{len(report.unknown_venue_orders)} venue order(s) not placed by BotFolio"
                + (", venue unreachable" if report.venue_unreachable else "")
            )
            if account.trading_blocked_reason != reason:
                await record_incident(
                    session,
                    self._clock,
                    venue=account.venue,
                    kind="reconciliation_mismatch",
                    message=reason,
                    account_id=account_id,
                    details={
                        "unsettled": report.still_in_flight[:50],
                        "unknown_venue_orders": report.unknown_venue_orders[:50],
                    },
                )
            account.trading_blocked_reason = reason
        log.warning("orders.reconciliation_mismatch", account_id=account_id, reason=reason)
