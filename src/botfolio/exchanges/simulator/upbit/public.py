"""Upbit quotation endpoints: markets, minute/day candles, tickers, order books."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from botfolio.clock import ensure_utc
from botfolio.exchanges.simulator.candles import CandleLike
from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.upbit import wire
from botfolio.exchanges.simulator.upbit.errors import market_not_found, validation
from botfolio.exchanges.simulator.venue import Venue

_MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)


def public_router(ctx: VenueContext) -> APIRouter:
    router = APIRouter(prefix="/v1")
    venue = ctx.venue

    @router.get("/market/all")
    async def markets() -> list[dict[str, Any]]:
        return [wire.market_entry(m.rules) for m in venue.markets.values()]

    @router.get("/candles/minutes/{unit}")
    async def minute_candles(unit: int, request: Request) -> list[dict[str, Any]]:
        if unit not in _MINUTE_UNITS:
            raise validation(f"unit must be one of {_MINUTE_UNITS}")
        return _candles(venue, dict(request.query_params), unit)

    @router.get("/candles/days")
    async def day_candles(request: Request) -> list[dict[str, Any]]:
        return _candles(venue, dict(request.query_params), 24 * 60)

    @router.get("/ticker")
    async def tickers(request: Request) -> list[dict[str, Any]]:
        names = _markets(venue, request.query_params.get("markets"))
        now = venue.catch_up()
        return [wire.ticker(venue.market(n).rules, _last_day(venue, n), now) for n in names]

    @router.get("/ticker/all")
    async def all_tickers(request: Request) -> list[dict[str, Any]]:
        quotes = (request.query_params.get("quote_currencies") or "").split(",")
        now = venue.catch_up()
        return [
            wire.ticker(m.rules, _last_day(venue, name), now)
            for name, m in venue.markets.items()
            if m.rules.quote in quotes
        ]

    @router.get("/orderbook")
    async def orderbooks(request: Request) -> list[dict[str, Any]]:
        names = _markets(venue, request.query_params.get("markets"))
        levels = bounded_int(request.query_params.get("count"), "count", default=15, maximum=30)
        now = venue.catch_up()
        return [wire.orderbook(venue.market(n).rules, venue.book(n), now, levels) for n in names]

    return router


def bounded_int(raw: str | None, name: str, *, default: int, maximum: int) -> int:
    """A positive count capped at `maximum`; junk is a validation error, not a crash."""
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise validation(f"{name} does not have a valid value")
    return max(1, min(int(raw), maximum))


def _markets(venue: Venue, raw: str | None) -> list[str]:
    names = [n for n in (raw or "").split(",") if n]
    if not names:
        raise validation("markets is missing")
    if any(n not in venue.markets for n in names):
        raise market_not_found()
    return names


def _candles(venue: Venue, query: dict[str, str], unit: int) -> list[dict[str, Any]]:
    """Newest first, `count` (<= 200) candles that open before `to` (default: now)."""
    name = query.get("market") or ""
    if name not in venue.markets:
        raise market_not_found() if name else validation("market is missing")
    market = venue.market(name)
    interval = timedelta(minutes=unit)
    if interval < market.source.interval or interval % market.source.interval:
        raise validation(f"{unit}m candles are finer than this market's data")
    count = bounded_int(query.get("count"), "count", default=1, maximum=200)
    candles: list[CandleLike] = venue.candles(name, interval)
    if query.get("to"):
        until = _parse_to(query["to"])
        candles = [c for c in candles if c.open_time < until]
    return [wire.candle(market.rules, c, unit) for c in reversed(candles[-count:])]


def _parse_to(raw: str) -> datetime:
    text = raw.replace("Z", "+00:00").replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise validation("to has an invalid format") from None
    return ensure_utc(moment) if moment.tzinfo else ensure_utc(moment.replace(tzinfo=wire.KST))


def _last_day(venue: Venue, name: str) -> list[CandleLike]:
    market = venue.market(name)
    candles = market.source.closed_candles(venue.clock.now())
    size = max(1, timedelta(days=1) // market.source.interval)
    return list(candles[-size:])
