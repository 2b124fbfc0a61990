"""Candle timeframes ("5m", "1h", "1d") and symbols, parsed once into exact durations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from botfolio.errors import ValidationFailedError

_TIMEFRAME = re.compile(r"^(\d+)([mhdw])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECONDS_PER_YEAR = 365 * 86400  # crypto venues trade every day of the year


def parse_timeframe(timeframe: str) -> timedelta:
    """The duration of one candle; the exchange-style spelling is the one users type."""
    match = _TIMEFRAME.match(timeframe)
    if match is None or int(match.group(1)) == 0:
        raise ValidationFailedError(
            f"unknown timeframe {timeframe!r}: expected a number and a unit m/h/d/w, like 5m or 1h",
            timeframe=timeframe,
        )
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def timeframe_seconds(timeframe: str) -> int:
    return int(parse_timeframe(timeframe).total_seconds())


def pandas_frequency(timeframe: str) -> str:
    """A pandas frequency string for the timeframe (seconds avoid pandas' ambiguous aliases)."""
    return f"{timeframe_seconds(timeframe)}s"


def periods_per_year(timeframe: str, bars_per_period: int = 1) -> float:
    """How many periods of `bars_per_period` candles fit in a 365-day year."""
    return _SECONDS_PER_YEAR / (timeframe_seconds(timeframe) * bars_per_period)


def is_aligned(moment: datetime, timeframe: str) -> bool:
    """Candles open on multiples of their duration since the Unix epoch (as venues number them)."""
    return (moment - _EPOCH) % parse_timeframe(timeframe) == timedelta(0)


def floor_to_timeframe(moment: datetime, timeframe: str) -> datetime:
    step = parse_timeframe(timeframe)
    return moment - (moment - _EPOCH) % step


def validate_symbol(symbol: str) -> str:
    """Symbols are BASE/QUOTE in upper case, as CCXT spells them."""
    base, sep, quote = symbol.partition("/")
    if not sep or not base.isalnum() or not quote.isalnum():
        raise ValidationFailedError(
            f"invalid symbol {symbol!r}: expected BASE/QUOTE like ETH/BTC", symbol=symbol
        )
    return f"{base.upper()}/{quote.upper()}"
