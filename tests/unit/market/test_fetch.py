"""The fetch paging loop keeps closed candles only and always ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import Candle, frame_to_candles
from botfolio.market.fetch import GatewayCandleFetcher, iter_candle_pages
from botfolio.market.repository import SeriesKey
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 1, 1, tzinfo=UTC)
SERIES = SeriesKey("sim", "BTC/USDT", "5m")


class ReplayVenue:
    """Serves a fixed candle history the way a venue's OHLCV endpoint pages it."""

    def __init__(self, candles: list[Candle]) -> None:
        self.candles = candles
        self.calls: list[tuple[datetime, int]] = []

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: datetime, limit: int
    ) -> list[Candle]:
        self.calls.append((since, limit))
        return [c for c in self.candles if c.open_time >= since][:limit]


def history(bars: int) -> list[Candle]:
    config = SyntheticMarketConfig(symbols=("BTC/USDT",), start=START)
    return frame_to_candles(generate_frames(config, seed=1, bars=bars)["BTC/USDT"])


async def collect(venue: ReplayVenue, now: datetime, limit: int) -> list[list[Candle]]:
    return [page async for page in iter_candle_pages(venue, SERIES, START, now, limit=limit)]


async def test_iter_candle_pages_when_history_spans_pages_returns_all_closed_candles() -> None:
    candles = history(25)
    venue = ReplayVenue(candles)
    now = START + timedelta(minutes=5 * 25)
    pages = await collect(venue, now, limit=10)
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [c for p in pages for c in p] == candles
    assert [since for since, _ in venue.calls] == [
        START + timedelta(minutes=50 * i) for i in range(3)
    ]


async def test_iter_candle_pages_when_last_candle_is_forming_leaves_it_out() -> None:
    candles = history(10)
    now = START + timedelta(minutes=5 * 9 + 2)  # the tenth candle is still open
    pages = await collect(ReplayVenue(candles), now, limit=100)
    assert [c for p in pages for c in p] == candles[:9]


async def test_iter_candle_pages_when_venue_repeats_itself_stops() -> None:
    class StuckVenue(ReplayVenue):
        async def fetch_ohlcv(
            self, symbol: str, timeframe: str, since: datetime, limit: int
        ) -> list[Candle]:
            self.calls.append((since, limit))
            return self.candles[:2]  # ignores `since`

    venue = StuckVenue(history(5))
    pages = await collect(venue, START + timedelta(hours=1), limit=2)
    assert len(pages) == 1 and len(venue.calls) == 2


async def test_iter_candle_pages_when_venue_sends_bad_candle_refuses_the_page() -> None:
    candles = history(3)
    bad = Candle(
        candles[1].open_time,
        candles[1].open,
        candles[1].low,
        candles[1].high,
        candles[1].close,
        candles[1].volume,
    )
    venue = ReplayVenue([candles[0], bad, candles[2]])
    with pytest.raises(ValidationFailedError, match="inconsistent"):
        await collect(venue, START + timedelta(hours=1), limit=10)


async def test_gateway_candle_fetcher_pages_through_a_gateway_shaped_object() -> None:
    candles = history(12)

    class GatewayLike:
        async def fetch_candles(
            self,
            symbol: str,
            timeframe: str,
            since: datetime | None = None,
            limit: int | None = None,
        ) -> list[Candle]:
            assert since is not None and limit is not None
            return [c for c in candles if c.open_time >= since][:limit]

    fetcher = GatewayCandleFetcher(GatewayLike())
    pages = [
        page
        async for page in iter_candle_pages(
            fetcher, SERIES, START, START + timedelta(hours=2), limit=5
        )
    ]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [c for p in pages for c in p] == candles
