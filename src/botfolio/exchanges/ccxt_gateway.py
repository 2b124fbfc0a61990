"""The CCXT adapter: the real path to 100+ venues (and to our simulator, by URL override).

Amounts are truncated and prices rounded to the venue's precision here, at the boundary; every
vendor error leaves as one of ours (`ccxt_translate`). CCXT's own retries stay off
(`maxRetriesOnFailure=0`): a re-signed retry of an order is a new request, so retries are ours.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt

from botfolio.clock import Clock, SystemClock
from botfolio.exchanges.ccxt_translate import (
    parse_candle,
    parse_market,
    parse_order,
    parse_ticker,
    parse_trade,
    translate_read_error,
    translate_submit_error,
)
from botfolio.exchanges.errors import OrderNotFoundOnVenueError
from botfolio.exchanges.port import (
    Balance,
    Candle,
    ClientOrderId,
    Fill,
    Market,
    OrderReport,
    OrderType,
    SubmitOrder,
    Ticker,
    VenueCapabilities,
)

# How each CCXT exchange id names our client order id in a lookup (create uses `clientOrderId`).
_LOOKUP_PARAM = {"binance": "origClientOrderId"}


class CcxtGateway:
    def __init__(
        self,
        exchange: ccxt.Exchange,
        *,
        venue: str | None = None,
        clock: Clock | None = None,
        capabilities: VenueCapabilities | None = None,
    ) -> None:
        exchange.options["maxRetriesOnFailure"] = 0
        self._exchange = exchange
        self.venue = venue or str(exchange.id)
        self.capabilities = capabilities or VenueCapabilities()
        self._clock = clock or SystemClock()
        self._markets: dict[str, Market] | None = None

    async def load_markets(self) -> dict[str, Market]:
        raw = await self._read(self._exchange.load_markets)
        self._markets = {symbol: parse_market(m) for symbol, m in raw.items()}
        return self._markets

    async def fetch_candles(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        since_ms = int(since.timestamp() * 1000) if since else None
        rows = await self._read(self._exchange.fetch_ohlcv, symbol, timeframe, since_ms, limit)
        return [parse_candle(row) for row in rows]

    async def fetch_ticker(self, symbol: str) -> Ticker:
        raw = await self._read(self._exchange.fetch_ticker, symbol)
        return parse_ticker(raw, self._clock.now())

    async def fetch_balances(self) -> dict[str, Balance]:
        raw = await self._read(self._exchange.fetch_balance)
        free, used = raw.get("free") or {}, raw.get("used") or {}
        return {
            asset: Balance(
                asset, Decimal(str(free.get(asset) or 0)), Decimal(str(used.get(asset) or 0))
            )
            for asset in set(free) | set(used)
        }

    async def create_order(self, command: SubmitOrder) -> OrderReport:
        await self._ensure_markets()
        amount = self._exchange.amount_to_precision(command.symbol, str(command.amount))
        price = (
            self._exchange.price_to_precision(command.symbol, str(command.price))
            if command.price is not None
            else None
        )
        params: dict[str, Any] = {"clientOrderId": command.client_order_id}
        if command.type is OrderType.MARKET and self._exchange.id == "upbit":
            params["createMarketBuyOrderRequiresPrice"] = False
        try:
            raw = await self._exchange.create_order(
                command.symbol, command.type.value, command.side.value, amount, price, params
            )
        except ccxt.BaseError as exc:
            raise translate_submit_error(exc, self.venue) from exc
        report = parse_order(raw, self._clock.now())
        if report.client_order_id is None:
            report = _with_client_id(report, command.client_order_id)
        return report

    async def cancel_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        current = await self.fetch_order(client_order_id, symbol)
        await self._read(self._exchange.cancel_order, current.venue_order_id, symbol)
        return await self.fetch_order(client_order_id, symbol)

    async def fetch_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        await self._ensure_markets()
        raw = await self._read(self._lookup_by_client_id, client_order_id, symbol)
        if not raw or not raw.get("id"):
            raise OrderNotFoundOnVenueError(f"{self.venue}: no order {client_order_id}")
        report = parse_order(raw, self._clock.now())
        return report if report.client_order_id else _with_client_id(report, client_order_id)

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        await self._ensure_markets()
        rows = await self._read(self._exchange.fetch_open_orders, symbol)
        now = self._clock.now()
        return [parse_order(row, now) for row in rows]

    async def fetch_my_trades(
        self, symbol: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Fill]:
        await self._ensure_markets()
        since_ms = int(since.timestamp() * 1000) if since else None
        rows = await self._read(self._exchange.fetch_my_trades, symbol, since_ms, limit)
        return [parse_trade(row) for row in rows]

    async def close(self) -> None:
        await self._exchange.close()

    async def _lookup_by_client_id(self, client_order_id: str, symbol: str) -> Any:
        exchange = self._exchange
        if exchange.id == "upbit":
            # ccxt's upbit.fetch_order always sends `uuid`; look up by identifier directly.
            raw = await exchange.privateGetOrder({"identifier": client_order_id})
            return exchange.parse_order(raw, exchange.market(symbol))
        param = _LOOKUP_PARAM.get(str(exchange.id), "clientOrderId")
        return await exchange.fetch_order(None, symbol, {param: client_order_id})

    async def _ensure_markets(self) -> None:
        if self._markets is None:
            await self.load_markets()

    async def _read(self, call: Any, *args: Any) -> Any:
        try:
            return await call(*args)
        except ccxt.BaseError as exc:
            raise translate_read_error(exc, self.venue) from exc


def _with_client_id(report: OrderReport, client_order_id: ClientOrderId) -> OrderReport:
    from dataclasses import replace

    return replace(report, client_order_id=client_order_id)
