"""Paging candles in from a venue through a small protocol the exchange gateway will implement.

The gateway is not written here: anything with `fetch_ohlcv(symbol, timeframe, since, limit)`
plugs in. Only closed candles are kept (a venue's newest candle is still forming), and a page that
does not move the cursor forward ends the loop, so a misbehaving venue cannot spin it forever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from botfolio.clock import ensure_utc
from botfolio.db.database import Database
from botfolio.errors import ValidationFailedError
from botfolio.market.candles import Candle
from botfolio.market.repository import SeriesKey, latest_candle_time, upsert_candles
from botfolio.market.timeframes import parse_timeframe

DEFAULT_PAGE_LIMIT = 500


class CandleFetcher(Protocol):
    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: datetime, limit: int
    ) -> list[Candle]:
        """Up to `limit` candles opening at or after `since`, oldest first."""
        ...


class CandleLike(Protocol):
    """Any venue candle type with these attributes (the exchange port's `Candle` is one)."""

    @property
    def open_time(self) -> datetime: ...
    @property
    def open(self) -> Decimal: ...
    @property
    def high(self) -> Decimal: ...
    @property
    def low(self) -> Decimal: ...
    @property
    def close(self) -> Decimal: ...
    @property
    def volume(self) -> Decimal: ...


class CandleGateway(Protocol):
    """The candle part of the exchange gateway port (`ExchangeGateway.fetch_candles`)."""

    async def fetch_candles(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int | None = None
    ) -> Sequence[CandleLike]: ...


class GatewayCandleFetcher:
    """Adapts the exchange gateway to `CandleFetcher`, so `fetch_candles` can page a real venue."""

    def __init__(self, gateway: CandleGateway) -> None:
        self._gateway = gateway

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: datetime, limit: int
    ) -> list[Candle]:
        rows = await self._gateway.fetch_candles(symbol, timeframe, since, limit)
        return [Candle(r.open_time, r.open, r.high, r.low, r.close, r.volume) for r in rows]


@dataclass(frozen=True)
class FetchResult:
    series: SeriesKey
    pages: int
    candles_received: int
    rows_changed: int
    last_open_time: datetime | None


async def iter_candle_pages(
    fetcher: CandleFetcher,
    series: SeriesKey,
    since: datetime,
    now: datetime,
    *,
    limit: int = DEFAULT_PAGE_LIMIT,
) -> AsyncIterator[list[Candle]]:
    """Pages of closed candles with `since <= open_time`, until the venue has no newer ones."""
    step = parse_timeframe(series.timeframe)
    cursor, now = ensure_utc(since), ensure_utc(now)
    while cursor + step <= now:
        page = await fetcher.fetch_ohlcv(series.symbol, series.timeframe, cursor, limit)
        closed = [c for c in page if cursor <= c.open_time and c.open_time + step <= now]
        _refuse_inconsistent(series, closed)
        if not closed:
            return
        yield closed
        next_cursor = max(c.open_time for c in closed) + step
        if next_cursor <= cursor:
            return
        cursor = next_cursor


def _refuse_inconsistent(series: SeriesKey, candles: list[Candle]) -> None:
    bad = [c for c in candles if not c.is_consistent()]
    if bad:
        raise ValidationFailedError(
            f"{series.venue} sent {len(bad)} inconsistent {series.symbol} candle(s), "
            f"first at {bad[0].open_time.isoformat()}; nothing from that page was stored",
            venue=series.venue,
            symbol=series.symbol,
        )


async def fetch_into_store(
    db: Database,
    fetcher: CandleFetcher,
    series: SeriesKey,
    now: datetime,
    *,
    since: datetime | None = None,
    start_if_empty: datetime | None = None,
    limit: int = DEFAULT_PAGE_LIMIT,
    on_page: Callable[[int], None] | None = None,
) -> FetchResult:
    """Page candles from a venue into the store, one short write per page: no database lock is
    held while the venue answers. Resumes after the newest stored candle unless `since`; with
    nothing stored it starts at `start_if_empty`, and refuses without one."""
    if since is None:
        async with db.session() as session:
            latest = await latest_candle_time(session, series)
        if latest is not None:
            since = latest + parse_timeframe(series.timeframe)
        elif start_if_empty is not None:
            since = start_if_empty
        else:
            raise ValidationFailedError(
                f"no stored {series.symbol} {series.timeframe} candles on {series.venue}: "
                "give a start time (--since) for the first fetch"
            )
    pages = received = changed = 0
    last: datetime | None = None
    async for page in iter_candle_pages(fetcher, series, since, now, limit=limit):
        async with db.transaction() as session:
            changed += await upsert_candles(session, series, page)
        pages += 1
        received += len(page)
        last = max(c.open_time for c in page)
        if on_page is not None:
            on_page(len(page))
    return FetchResult(series, pages, received, changed, last)
