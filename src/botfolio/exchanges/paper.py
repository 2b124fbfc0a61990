"""The paper adapter: in-process fills on real or replayed prices, for dry runs.

It behaves like a venue (balances, client order ids, duplicate refusal, limit orders that fill
when the price crosses them) so the order spine runs unchanged. Its book lives in memory: a dry
run that restarts begins a new paper account.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from botfolio.clock import Clock
from botfolio.exchanges.errors import (
    OrderNotFoundOnVenueError,
    OrderRejectedError,
    RejectReason,
    UnsupportedOperationError,
)
from botfolio.exchanges.port import (
    Balance,
    Candle,
    ClientOrderId,
    Fill,
    Market,
    OrderReport,
    OrderSide,
    OrderType,
    SubmitOrder,
    Ticker,
    VenueCapabilities,
    VenueOrderId,
    VenueOrderStatus,
)

PriceSource = Callable[[str], Awaitable[Decimal]]


@dataclass(frozen=True)
class PaperCosts:
    fee_rate: Decimal = Decimal("0.001")
    slippage: Decimal = Decimal("0.0005")


class PaperGateway:
    capabilities = VenueCapabilities()

    def __init__(
        self,
        markets: dict[str, Market],
        balances: dict[str, Decimal],
        price_of: PriceSource,
        clock: Clock,
        *,
        venue: str = "paper",
        costs: PaperCosts | None = None,
    ) -> None:
        self.venue = venue
        self._markets = markets
        self._free = dict(balances)
        self._locked: dict[str, Decimal] = {}
        self._price_of = price_of
        self._clock = clock
        self._costs = costs or PaperCosts()
        self._orders: dict[str, OrderReport] = {}
        self._held: dict[str, tuple[str, Decimal]] = {}  # client order id -> (asset, amount)
        self._trades: list[Fill] = []
        self._ids = itertools.count(1)

    async def load_markets(self) -> dict[str, Market]:
        return dict(self._markets)

    async def fetch_candles(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        raise UnsupportedOperationError("the paper venue has no candle history; use market data")

    async def fetch_ticker(self, symbol: str) -> Ticker:
        price = await self._price_of(symbol)
        return Ticker(symbol, price, price, price, self._clock.now())

    async def fetch_balances(self) -> dict[str, Balance]:
        assets = set(self._free) | set(self._locked)
        return {
            a: Balance(a, self._free.get(a, Decimal(0)), self._locked.get(a, Decimal(0)))
            for a in assets
        }

    async def create_order(self, command: SubmitOrder) -> OrderReport:
        if command.client_order_id in self._orders:
            raise OrderRejectedError(
                "Duplicate order sent.", RejectReason.DUPLICATE_CLIENT_ORDER_ID
            )
        market = self._market(command.symbol)
        amount = _step_down(command.amount, market.amount_step)
        price = await self._price_of(command.symbol)
        limit = command.price if command.type is OrderType.LIMIT else None
        self._check_filters(market, amount, limit or price)
        self._lock(
            command.client_order_id,
            market,
            command.side,
            amount,
            limit or price * (1 + self._costs.slippage),
        )
        report = OrderReport(
            client_order_id=command.client_order_id,
            venue_order_id=VenueOrderId(f"paper-{next(self._ids)}"),
            symbol=command.symbol,
            side=command.side,
            type=command.type,
            status=VenueOrderStatus.OPEN,
            amount=amount,
            filled=Decimal(0),
            price=limit,
            average_price=None,
            fee=Decimal(0),
            fee_asset=None,
            updated_at=self._clock.now(),
        )
        self._orders[command.client_order_id] = report
        return await self._match(report, price)

    async def cancel_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        report = await self.fetch_order(client_order_id, symbol)
        if report.status.is_final:
            return report
        self._unlock(report)
        canceled = replace(report, status=VenueOrderStatus.CANCELED, updated_at=self._clock.now())
        self._orders[client_order_id] = canceled
        return canceled

    async def fetch_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        report = self._orders.get(client_order_id)
        if report is None:
            raise OrderNotFoundOnVenueError(f"paper: no order {client_order_id}")
        if not report.status.is_final:
            report = await self._match(report, await self._price_of(symbol))
        return report

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        reports = [
            await self.fetch_order(ClientOrderId(cid), r.symbol)
            for cid, r in list(self._orders.items())
            if symbol in (None, r.symbol)
        ]
        return [r for r in reports if not r.status.is_final]

    async def fetch_my_trades(
        self, symbol: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Fill]:
        trades = [
            t for t in self._trades if t.symbol == symbol and (since is None or t.at >= since)
        ]
        return trades[-limit:] if limit else trades

    async def close(self) -> None:
        return None

    def _market(self, symbol: str) -> Market:
        market = self._markets.get(symbol)
        if market is None:
            raise OrderRejectedError(f"paper: unknown symbol {symbol}", RejectReason.INVALID_ORDER)
        return market

    def _check_filters(self, market: Market, amount: Decimal, price: Decimal) -> None:
        if amount < market.min_amount or amount <= 0:
            raise OrderRejectedError("Filter failure: LOT_SIZE", RejectReason.INVALID_ORDER)
        if amount * price < market.min_notional:
            raise OrderRejectedError("Filter failure: NOTIONAL", RejectReason.INVALID_ORDER)

    def _lock(
        self, client_id: str, market: Market, side: OrderSide, amount: Decimal, price: Decimal
    ) -> None:
        asset, need = (
            (market.quote, amount * price) if side is OrderSide.BUY else (market.base, amount)
        )
        if self._free.get(asset, Decimal(0)) < need:
            raise OrderRejectedError(
                "Account has insufficient balance for requested action.",
                RejectReason.INSUFFICIENT_FUNDS,
            )
        self._free[asset] -= need
        self._locked[asset] = self._locked.get(asset, Decimal(0)) + need
        self._held[client_id] = (asset, need)

    def _unlock(self, report: OrderReport) -> None:
        held = self._held.pop(str(report.client_order_id), None)
        if held is None:
            return
        asset, amount = held
        self._locked[asset] -= amount
        self._free[asset] = self._free.get(asset, Decimal(0)) + amount

    async def _match(self, report: OrderReport, price: Decimal) -> OrderReport:
        if report.type is OrderType.LIMIT and not _crosses(report, price):
            return report
        fill_price = _slipped(report, price, self._costs.slippage)
        if report.type is OrderType.LIMIT and report.price is not None:
            fill_price = (
                min(fill_price, report.price)
                if report.side is OrderSide.BUY
                else max(fill_price, report.price)
            )
        filled = self._settle(report, fill_price)
        self._orders[str(report.client_order_id)] = filled
        return filled

    def _settle(self, report: OrderReport, price: Decimal) -> OrderReport:
        market = self._market(report.symbol)
        amount = report.amount - report.filled
        cost = amount * price
        fee = (cost if report.side is OrderSide.SELL else amount) * self._costs.fee_rate
        self._unlock(report)
        if report.side is OrderSide.BUY:
            self._free[market.quote] -= cost
            self._free[market.base] = self._free.get(market.base, Decimal(0)) + amount - fee
            fee_asset = market.base
        else:
            self._free[market.base] -= amount
            self._free[market.quote] = self._free.get(market.quote, Decimal(0)) + cost - fee
            fee_asset = market.quote
        now = self._clock.now()
        fill = Fill(
            trade_id=f"{report.venue_order_id}-1",
            client_order_id=report.client_order_id,
            venue_order_id=report.venue_order_id,
            symbol=report.symbol,
            side=report.side,
            price=price,
            amount=amount,
            fee=fee,
            fee_asset=fee_asset,
            at=now,
        )
        self._trades.append(fill)
        return replace(
            report,
            status=VenueOrderStatus.FILLED,
            filled=report.amount,
            average_price=price,
            fee=fee,
            fee_asset=fee_asset,
            updated_at=now,
            fills=(fill,),
        )


def _crosses(report: OrderReport, price: Decimal) -> bool:
    if report.price is None:
        return True
    return price <= report.price if report.side is OrderSide.BUY else price >= report.price


def _slipped(report: OrderReport, price: Decimal, slippage: Decimal) -> Decimal:
    return price * (1 + slippage) if report.side is OrderSide.BUY else price * (1 - slippage)


def _step_down(amount: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return amount
    return (amount / step).to_integral_value(rounding=ROUND_DOWN) * step
