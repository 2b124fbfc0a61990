"""Importing candle files: idempotent, and a bad file is refused whole with its line numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from botfolio.db.database import Database
from botfolio.errors import ValidationFailedError
from botfolio.market.candles import frame_to_candles
from botfolio.market.csv_import import CandleFileError, read_candle_file, write_candle_file
from botfolio.market.importer import import_candle_file, resolve_series
from botfolio.market.repository import SeriesKey, count_candles, read_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 2, 1, tzinfo=UTC)


def write_synthetic(path: Path, bars: int = 200, symbol: str = "ETH/BTC") -> Path:
    config = SyntheticMarketConfig(symbols=(symbol,), start=START)
    write_candle_file(path, frame_to_candles(generate_frames(config, seed=4, bars=bars)[symbol]))
    return path


def corrupt(path: Path, edits: dict[int, str]) -> Path:
    """Replace whole lines (1-based, header is line 1)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for line, text in edits.items():
        lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_import_candle_file_when_repeated_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    path = write_synthetic(tmp_path / "ETH_BTC-5m.csv")
    series = resolve_series(path, "binance", "5m", None)
    async with db.transaction() as session:
        first = await import_candle_file(session, path, series)
    async with db.session() as session:
        stored_once = await read_candles(session, series)
    async with db.transaction() as session:
        second = await import_candle_file(session, path, series)
    async with db.session() as session:
        stored_twice = await read_candles(session, series)
    assert series == SeriesKey("binance", "ETH/BTC", "5m")
    assert (first.rows_read, first.rows_changed) == (200, 200)
    assert (second.rows_read, second.rows_changed) == (200, 0)
    assert stored_once.equals(stored_twice)
    assert frame_to_candles(stored_once) == read_candle_file(path, "5m")


async def test_import_candle_file_when_rows_are_bad_names_lines_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    path = corrupt(
        write_synthetic(tmp_path / "ETH_BTC-5m.csv"),
        {
            5: "2026-02-01T00:15:00Z,abc,1,1,1,1",
            8: "2026-02-01T00:30:00Z,0.5,0.4,0.6,0.5,10",
            12: "2026-02-01T00:52:00Z,1,1,1,1,1",
            20: "2026-02-01 01:30:00,1,1,1,1,1",
        },
    )
    series = resolve_series(path, "binance", "5m", None)
    with pytest.raises(CandleFileError) as refused:
        async with db.transaction() as session:
            await import_candle_file(session, path, series)
    problems = refused.value.problems
    assert [p.split(":")[1] for p in problems] == ["5", "8", "12", "20"]
    assert "open 'abc' is not a number" in problems[0]
    assert "high 0.4 is below low 0.6" in problems[1]
    assert "not on the 5m grid" in problems[2]
    assert "no timezone" in problems[3]
    async with db.session() as session:
        assert await count_candles(session, series) == 0


def test_read_candle_file_when_columns_missing_or_duplicated_refuses(tmp_path: Path) -> None:
    headerless = tmp_path / "A_B-5m.csv"
    headerless.write_text("date,open,high,low,close\n2026-01-01T00:00:00Z,1,1,1,1\n")
    with pytest.raises(CandleFileError, match=r":1: missing column\(s\) volume"):
        read_candle_file(headerless, "5m")
    doubled = write_synthetic(tmp_path / "C_D-5m.csv", bars=3)
    lines = doubled.read_text().splitlines()
    doubled.write_text("\n".join([*lines, lines[2]]) + "\n")
    with pytest.raises(CandleFileError, match=r":5: duplicate candle .*\(line 3\)"):
        read_candle_file(doubled, "5m")


def test_resolve_series_when_file_name_disagrees_with_timeframe_refuses(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailedError, match="looks like 1h candles"):
        resolve_series(tmp_path / "ETH_BTC-1h.csv", "binance", "5m", None)
    explicit = resolve_series(tmp_path / "whatever.csv", "binance", "5m", "sol/usdt")
    assert explicit.symbol == "SOL/USDT"
