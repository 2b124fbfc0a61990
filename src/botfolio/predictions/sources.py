"""Where training candles come from: stored candles (exact Decimal) or candle CSV files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.errors import NotFoundError, ValidationFailedError
from botfolio.market.candles import candles_to_frame
from botfolio.market.csv_import import read_candle_file, symbol_from_file_name
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.market.timeframes import validate_symbol


def parse_symbols(values: Sequence[str]) -> list[str]:
    """Symbols from repeated and/or comma-separated options, validated, in the order given."""
    symbols = [validate_symbol(part.strip()) for value in values for part in value.split(",")]
    if not symbols:
        raise ValidationFailedError("name at least one symbol, like --symbols ETH/BTC,LTC/BTC")
    return list(dict.fromkeys(symbols))


async def load_stored_candles(
    session: AsyncSession, venue: str, symbols: Sequence[str], timeframe: str
) -> dict[str, pd.DataFrame]:
    frames = {}
    for symbol in symbols:
        frame = await read_candles(session, SeriesKey(venue, symbol, timeframe))
        if frame.empty:
            raise NotFoundError(
                f"no {timeframe} candles stored for {symbol} on {venue}; import or fetch them first"
            )
        frames[symbol] = frame
    return frames


def load_csv_candles(paths: Sequence[Path], timeframe: str) -> dict[str, pd.DataFrame]:
    """Candle files named like ETH_BTC-5m.csv, validated exactly as `data import` does."""
    frames: dict[str, pd.DataFrame] = {}
    for path in paths:
        symbol = symbol_from_file_name(path).symbol
        if symbol in frames:
            raise ValidationFailedError(f"two files hold {symbol}: {path.name} is one of them")
        frames[symbol] = candles_to_frame(read_candle_file(path, timeframe))
    return frames
