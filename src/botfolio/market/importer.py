"""Use case: import candle files into storage, idempotently, one file per unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.errors import ValidationFailedError
from botfolio.market.csv_import import read_candle_file, symbol_from_file_name
from botfolio.market.repository import SeriesKey, upsert_candles
from botfolio.market.timeframes import parse_timeframe, validate_symbol


@dataclass(frozen=True)
class ImportResult:
    path: Path
    series: SeriesKey
    rows_read: int
    rows_changed: int


def resolve_series(path: Path, venue: str, timeframe: str, symbol: str | None) -> SeriesKey:
    """The series a file goes to: `--symbol` if given, else the file name; timeframes must agree."""
    parse_timeframe(timeframe)
    if not venue.strip():
        raise ValidationFailedError("a venue is required, like --venue binance")
    if symbol is not None:
        return SeriesKey(venue=venue, symbol=validate_symbol(symbol), timeframe=timeframe)
    named = symbol_from_file_name(path)
    if named.timeframe is not None and named.timeframe != timeframe:
        raise ValidationFailedError(
            f"{path.name} looks like {named.timeframe} candles but --timeframe is {timeframe}",
            path=str(path),
        )
    return SeriesKey(venue=venue, symbol=named.symbol, timeframe=timeframe)


async def import_candle_file(
    session: AsyncSession,
    path: Path,
    series: SeriesKey,
    *,
    on_parsed: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate the whole file, then upsert it; the caller's transaction makes it all or nothing."""
    candles = read_candle_file(path, series.timeframe)
    if on_parsed is not None:
        on_parsed(len(candles))
    changed = await upsert_candles(session, series, candles, on_chunk=on_rows)
    return ImportResult(path=path, series=series, rows_read=len(candles), rows_changed=changed)
