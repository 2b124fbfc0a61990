"""Binance public market-data endpoints (no signature)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from botfolio.exchanges.simulator.binance import params as p
from botfolio.exchanges.simulator.binance import wire
from botfolio.exchanges.simulator.binance.errors import invalid_interval, invalid_symbol
from botfolio.exchanges.simulator.candles import CandleLike
from botfolio.exchanges.simulator.context import VenueContext, from_ms, to_ms
from botfolio.exchanges.simulator.venue import Venue

_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
]


def public_router(ctx: VenueContext) -> APIRouter:
    router = APIRouter(prefix="/api/v3")
    venue = ctx.venue

    @router.get("/ping")
    async def ping() -> dict[str, Any]:
        return {}

    @router.get("/time")
    async def server_time() -> dict[str, Any]:
        return {"serverTime": ctx.server_time_ms()}

    @router.get("/exchangeInfo")
    async def exchange_info(request: Request) -> dict[str, Any]:
        wanted = p.symbols(dict(request.query_params))
        return {
            "timezone": "UTC",
            "serverTime": ctx.server_time_ms(),
            "rateLimits": _RATE_LIMITS,
            "exchangeFilters": [],
            "symbols": [wire.symbol_info(venue.market(s).rules) for s in _known(venue, wanted)],
        }

    @router.get("/klines")
    async def klines(request: Request) -> list[list[Any]]:
        query = dict(request.query_params)
        symbol = p.required(query, "symbol")
        interval = p.interval(query)
        native = venue.market(symbol).source.interval
        if interval < native or interval % native:
            raise invalid_interval()
        candles = _window(venue.candles(symbol, interval), query)
        return [wire.kline(c, interval) for c in candles]

    @router.get("/ticker/24hr")
    async def ticker_24h(request: Request) -> Any:
        names = p.symbols(dict(request.query_params))
        now = venue.catch_up()
        tickers = [
            wire.ticker_24h(s, _last_day(venue, s), venue.book(s), now)
            for s in _known(venue, names)
        ]
        return tickers[0] if request.query_params.get("symbol") else tickers

    @router.get("/ticker/price")
    async def ticker_price(request: Request) -> Any:
        names = p.symbols(dict(request.query_params))
        prices = [
            {"symbol": s, "price": wire.fmt(venue.mid_price(s))} for s in _known(venue, names)
        ]
        return prices[0] if request.query_params.get("symbol") else prices

    @router.get("/ticker/bookTicker")
    async def book_ticker(request: Request) -> Any:
        names = p.symbols(dict(request.query_params))
        books = [_book_ticker(venue, s) for s in _known(venue, names)]
        return books[0] if request.query_params.get("symbol") else books

    @router.get("/depth")
    async def depth(request: Request) -> dict[str, Any]:
        query = dict(request.query_params)
        symbol = p.required(query, "symbol")
        levels = min(p.limit(query, 100, 5000), 50)
        return _depth(venue, symbol, levels)

    return router


def _known(venue: Venue, names: list[str] | None) -> list[str]:
    if names is None:
        return list(venue.markets)
    for name in names:
        if name not in venue.markets:
            raise invalid_symbol()
    return names


def _window(candles: list[CandleLike], query: dict[str, str]) -> list[CandleLike]:
    start = p.integer_or_none(query, "startTime")
    end = p.integer_or_none(query, "endTime")
    count = p.limit(query, 500, 1000)
    if start is not None:
        candles = [c for c in candles if c.open_time >= from_ms(start)]
    if end is not None:
        candles = [c for c in candles if c.open_time <= from_ms(end)]
    return candles[:count] if start is not None else candles[-count:]


def _last_day(venue: Venue, symbol: str) -> list[CandleLike]:
    market = venue.market(symbol)
    candles = market.source.closed_candles(venue.clock.now())
    size = max(1, timedelta(days=1) // market.source.interval)
    return list(candles[-size:])


def _book_ticker(venue: Venue, symbol: str) -> dict[str, Any]:
    book = venue.book(symbol)
    return {
        "symbol": symbol,
        "bidPrice": wire.fmt(book.bid),
        "bidQty": "1.00000000",
        "askPrice": wire.fmt(book.ask),
        "askQty": "1.00000000",
    }


def _depth(venue: Venue, symbol: str, levels: int) -> dict[str, Any]:
    """A synthetic book around the simulated quote: `levels` ticks each side."""
    book = venue.book(symbol)
    rules = venue.market(symbol).rules
    size = wire.fmt(rules.min_qty * 100)
    bid_prices = [book.bid - rules.tick_size * i for i in range(levels)]
    bids = [[wire.fmt(price), size] for price in bid_prices if price > 0]
    asks = [[wire.fmt(book.ask + rules.tick_size * i), size] for i in range(levels)]
    return {"lastUpdateId": to_ms(venue.clock.now()), "bids": bids, "asks": asks}
