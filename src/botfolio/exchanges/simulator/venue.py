"""One simulated venue: its markets, accounts, orders and the catch-up of the market clock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.candles import CandleLike, CandleSource, aggregate
from botfolio.exchanges.simulator.clock import SimulatorClock
from botfolio.exchanges.simulator.engine import BookQuote, MatchingEngine
from botfolio.exchanges.simulator.orders import Fill, Order, OrderRequest
from botfolio.exchanges.simulator.rejections import (
    DuplicateClientOrderId,
    OrderNotFound,
    UnknownSymbol,
)
from botfolio.exchanges.simulator.rules import SymbolRules


@dataclass(slots=True)
class Market:
    rules: SymbolRules
    source: CandleSource
    processed: int = 0


class Venue:
    """State of one exchange; every public method first replays candles up to the clock,
    so fills happen exactly as if the engine had been running all along."""

    def __init__(
        self,
        name: str,
        clock: SimulatorClock,
        engine: MatchingEngine,
        markets: Iterable[Market],
        *,
        client_ids_unique_among_open_only: bool = False,
    ) -> None:
        self.name = name
        self.clock = clock
        self.engine = engine
        self.markets = {m.rules.symbol: m for m in markets}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, Order] = {}
        self._open_only = client_ids_unique_among_open_only
        now = clock.now()
        for market in self.markets.values():
            market.processed = len(market.source.closed_candles(now))

    def catch_up(self) -> datetime:
        now = self.clock.now()
        for symbol, market in self.markets.items():
            candles = market.source.closed_candles(now)
            fresh = candles[market.processed :]
            market.processed = len(candles)
            for candle in fresh:
                self._match_candle(symbol, market, candle)
        return now

    def _match_candle(self, symbol: str, market: Market, candle: CandleLike) -> None:
        closed_at = candle.open_time + market.source.interval
        for order in self.open_orders(None, symbol):
            account = self.accounts[order.api_key]
            self.engine.match(account, market.rules, order, candle, closed_at)

    def market(self, symbol: str) -> Market:
        try:
            return self.markets[symbol]
        except KeyError:
            raise UnknownSymbol(symbol) from None

    def candles(self, symbol: str, interval: timedelta) -> list[CandleLike]:
        market = self.market(symbol)
        closed = market.source.closed_candles(self.clock.now())
        if interval == market.source.interval:
            return list(closed)
        return _complete_buckets(aggregate(closed, interval), interval, self.clock.now())

    def mid_price(self, symbol: str) -> Decimal:
        candles = self.market(symbol).source.closed_candles(self.clock.now())
        if not candles:
            raise UnknownSymbol(f"{symbol} has no price yet")
        return candles[-1].close

    def book(self, symbol: str) -> BookQuote:
        return self.engine.quote(self.market(symbol).rules, self.mid_price(symbol))

    def add_account(self, account: Account) -> Account:
        self.accounts[account.api_key] = account
        return account

    def place(self, api_key: str, request: OrderRequest) -> Order:
        now = self.catch_up()
        market = self.market(request.symbol)
        self._reject_duplicate(api_key, request.client_order_id)
        account = self.accounts[api_key]
        order = self.engine.place(
            account, market.rules, request, self.mid_price(request.symbol), now
        )
        self.orders[order.order_id] = order
        return order

    def _reject_duplicate(self, api_key: str, client_order_id: str) -> None:
        for order in self.orders.values():
            same = order.api_key == api_key and order.client_order_id == client_order_id
            if same and (order.status.is_open or not self._open_only):
                raise DuplicateClientOrderId(client_order_id)

    def find(
        self,
        api_key: str,
        *,
        order_id: int | None = None,
        client_order_id: str | None = None,
        uuid: str | None = None,
        symbol: str | None = None,
    ) -> Order:
        """The newest matching order of this account; other accounts' orders do not exist."""
        for order in reversed(self.orders.values()):
            if order.api_key != api_key or (symbol is not None and order.symbol != symbol):
                continue
            if _matches(order, order_id, client_order_id, uuid):
                return order
        raise OrderNotFound("Order does not exist.")

    def cancel(self, order: Order) -> Order:
        now = self.catch_up()
        if not order.status.is_open:
            raise OrderNotFound("Unknown order sent.")
        market = self.market(order.symbol)
        self.engine.cancel(self.accounts[order.api_key], market.rules, order, now)
        return order

    def open_orders(self, api_key: str | None, symbol: str | None = None) -> list[Order]:
        return [
            o
            for o in self.orders.values()
            if o.status.is_open
            and (api_key is None or o.api_key == api_key)
            and (symbol is None or o.symbol == symbol)
        ]

    def account_orders(self, api_key: str, symbol: str | None = None) -> list[Order]:
        return [
            o
            for o in self.orders.values()
            if o.api_key == api_key and (symbol is None or o.symbol == symbol)
        ]

    def trades(self, api_key: str, symbol: str | None = None) -> list[Fill]:
        fills = [f for o in self.account_orders(api_key, symbol) for f in o.fills]
        return sorted(fills, key=lambda f: f.trade_id)

    def reset(self) -> None:
        """Forget orders and accounts; the caller re-creates the configured accounts."""
        self.orders.clear()
        self.accounts.clear()


def _matches(order: Order, order_id: int | None, client_id: str | None, uuid: str | None) -> bool:
    if order_id is not None:
        return order.order_id == order_id
    if uuid is not None:
        return order.uuid == uuid
    return client_id is not None and order.client_order_id == client_id


def _complete_buckets(
    candles: Sequence[CandleLike], interval: timedelta, now: datetime
) -> list[CandleLike]:
    return [c for c in candles if c.open_time + interval <= now]
