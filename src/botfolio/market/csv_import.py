"""Reading candle CSV files (`date,open,high,low,close,volume`) into validated candles.

A file is all or nothing: any bad row makes the whole file fail with its line numbers, before a
single row is written.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import Candle
from botfolio.market.timeframes import is_aligned, parse_timeframe, validate_symbol

REQUIRED_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close", "volume")
MAX_REPORTED_ERRORS = 10
_FILE_NAME = re.compile(r"^(?P<base>[A-Za-z0-9]+)_(?P<quote>[A-Za-z0-9]+)(?:-(?P<tf>\w+))?$")


class CandleFileError(ValidationFailedError):
    """A candle file was refused; `problems` lists `path:line: what is wrong`."""

    code = "invalid_candle_file"

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = problems[:MAX_REPORTED_ERRORS]
        more = len(problems) - len(shown)
        suffix = f"\n... and {more} more" if more > 0 else ""
        super().__init__(
            f"{path}: refused, nothing imported:\n" + "\n".join(shown) + suffix,
            path=str(path),
            problems=shown,
        )
        self.problems = problems


@dataclass(frozen=True)
class SymbolFromName:
    symbol: str
    timeframe: str | None


def symbol_from_file_name(path: Path) -> SymbolFromName:
    """`ETH_BTC-5m.csv` -> ETH/BTC, 5m: the naming the project's data files use."""
    match = _FILE_NAME.match(path.stem)
    if match is None:
        raise ValidationFailedError(
            f"cannot tell the symbol from the file name {path.name!r}; "
            "name it like ETH_BTC-5m.csv or pass --symbol",
            path=str(path),
        )
    symbol = validate_symbol(f"{match.group('base')}/{match.group('quote')}")
    return SymbolFromName(symbol=symbol, timeframe=match.group("tf"))


def read_candle_file(path: Path, timeframe: str) -> list[Candle]:
    """Every candle of the file, oldest first, or CandleFileError naming each bad line."""
    parse_timeframe(timeframe)
    if not path.is_file():
        raise CandleFileError(path, [f"{path}: no such file"])
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = _check_header(path, next(reader, None))
        positions = [header.index(column) for column in REQUIRED_COLUMNS]
        candles, problems = _parse_rows(path, reader, positions, timeframe)
    if problems:
        raise CandleFileError(path, problems)
    if not candles:
        raise CandleFileError(path, [f"{path}: the file has a header but no candles"])
    return sorted(candles, key=lambda c: c.open_time)


def _check_header(path: Path, header: list[str] | None) -> list[str]:
    if header is None:
        raise CandleFileError(path, [f"{path}:1: empty file, expected a header row"])
    columns = [column.strip().lower() for column in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        needed = ",".join(REQUIRED_COLUMNS)
        raise CandleFileError(
            path, [f"{path}:1: missing column(s) {', '.join(missing)}; need {needed}"]
        )
    return columns


def _parse_rows(
    path: Path, reader: Iterator[list[str]], positions: list[int], timeframe: str
) -> tuple[list[Candle], list[str]]:
    candles: list[Candle] = []
    problems: list[str] = []
    seen: dict[datetime, int] = {}
    for line, row in enumerate(reader, start=2):
        try:
            candle = _parse_row(row, positions, timeframe)
        except ValueError as exc:
            problems.append(f"{path}:{line}: {exc}")
            continue
        first = seen.setdefault(candle.open_time, line)
        if first != line:
            problems.append(f"{path}:{line}: duplicate candle {candle.open_time} (line {first})")
            continue
        candles.append(candle)
    return candles, problems


def _parse_row(row: list[str], positions: list[int], timeframe: str) -> Candle:
    if len(row) <= max(positions):
        raise ValueError(f"expected at least {max(positions) + 1} fields, got {len(row)}")
    date, open_, high, low, close, volume = (row[i].strip() for i in positions)
    candle = Candle(
        open_time=_parse_time(date, timeframe),
        open=_parse_decimal("open", open_),
        high=_parse_decimal("high", high),
        low=_parse_decimal("low", low),
        close=_parse_decimal("close", close),
        volume=_parse_decimal("volume", volume),
    )
    _check_candle(candle)
    return candle


def _parse_time(text: str, timeframe: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {text!r} is not an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(
            f"date {text!r} has no timezone; write it in UTC like 2018-01-10T05:00:00Z"
        )
    if not is_aligned(moment, timeframe):
        raise ValueError(f"date {text!r} is not on the {timeframe} grid")
    return moment.astimezone(UTC)


def _parse_decimal(name: str, text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name} {text!r} is not a finite number")
    return number


def _check_candle(candle: Candle) -> None:
    prices = (candle.open, candle.high, candle.low, candle.close)
    if min(prices) <= 0:
        raise ValueError("prices must be positive")
    if candle.volume < 0:
        raise ValueError("volume must not be negative")
    if candle.high < candle.low:
        raise ValueError(f"high {candle.high} is below low {candle.low}")
    if (
        not candle.low
        <= min(candle.open, candle.close)
        <= max(candle.open, candle.close)
        <= candle.high
    ):
        raise ValueError("open and close must lie within [low, high]")


def write_candle_file(path: Path, candles: Iterable[Candle]) -> int:
    """Write candles in the format `read_candle_file` reads (exact decimal text, UTC `Z` times)."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REQUIRED_COLUMNS)
        for c in candles:
            stamp = c.open_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow([stamp, c.open, c.high, c.low, c.close, c.volume])
            count += 1
    return count
