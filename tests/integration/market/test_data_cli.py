"""`botfolio data import` and `data check` against a real database, through the Typer app."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from botfolio.cli.main import app
from botfolio.config import get_settings
from botfolio.db.database import Database
from botfolio.market.candles import frame_to_candles
from botfolio.market.csv_import import write_candle_file
from botfolio.market.repository import SeriesKey, count_candles, list_anomalies
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL", db_url)
    monkeypatch.setenv("BOTFOLIO_LOG__JSON_OUTPUT", "false")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def write_files(directory: Path) -> list[Path]:
    config = SyntheticMarketConfig(symbols=("ETH/BTC", "LTC/BTC"), start=START)
    frames = generate_frames(config, seed=5, bars=120)
    paths = []
    for symbol, frame in frames.items():
        path = directory / f"{symbol.replace('/', '_')}-5m.csv"
        candles = frame_to_candles(frame)
        del candles[50:53]  # a gap for `data check` to find
        write_candle_file(path, candles)
        paths.append(path)
    return paths


async def _stored(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await count_candles(session, SeriesKey("binance", "ETH/BTC", "5m"))
            anomalies = len(await list_anomalies(session, venue="binance"))
            return rows, anomalies
    finally:
        await db.dispose()


def test_data_import_when_repeated_reports_no_change(cli_env: str, tmp_path: Path) -> None:
    paths = [str(p) for p in write_files(tmp_path)]
    runner = CliRunner()
    first = runner.invoke(app, ["data", "import", *paths, "--venue", "binance"])
    second = runner.invoke(app, ["data", "import", *paths, "--venue", "binance"])
    assert first.exit_code == 0, first.output
    assert "ETH/BTC" in first.output and "117" in first.output
    assert second.exit_code == 0, second.output
    assert re.search(r"ETH/BTC\s*│\s*5m\s*│\s*117\s*│\s*0\s*│", second.output)
    assert asyncio.run(_stored(cli_env)) == (117, 0)


def test_data_import_when_one_file_is_bad_imports_the_others(cli_env: str, tmp_path: Path) -> None:
    good, bad = write_files(tmp_path)
    bad.write_text(bad.read_text().replace("\n2026-02-01T00:10:00Z,", "\n2026-02-01T00:10:00Z,x"))
    result = CliRunner().invoke(app, ["data", "import", str(good), str(bad), "--venue", "binance"])
    assert result.exit_code == 1
    assert "LTC_BTC-5m.csv:4:" in result.output and "nothing imported" in result.output
    assert asyncio.run(_stored(cli_env)) == (117, 0)


def test_data_check_lists_and_records_anomalies(cli_env: str, tmp_path: Path) -> None:
    paths = [str(p) for p in write_files(tmp_path)]
    runner = CliRunner()
    runner.invoke(app, ["data", "import", *paths, "--venue", "binance"])
    result = runner.invoke(app, ["data", "check", "--venue", "binance"])
    assert result.exit_code == 0, result.output
    assert "missing_candles" in result.output and "stale_feed" in result.output
    assert "2 series checked, 0 clean, 4 anomalies recorded" in result.output
    again = runner.invoke(app, ["data", "check"])
    assert "4 anomalies recorded" in again.output
    assert asyncio.run(_stored(cli_env)) == (117, 4)


def test_data_synthesize_when_run_stores_clean_candles_ending_now(cli_env: str) -> None:
    runner = CliRunner()
    options = ["--venue", "binance", "--symbols", "ETH/BTC,LTC/BTC", "--bars", "50", "--seed", "4"]
    first = runner.invoke(app, ["data", "synthesize", *options])
    assert first.exit_code == 0, first.output
    assert "100 rows written" in first.output
    assert asyncio.run(_stored(cli_env)) == (50, 0)
    check = runner.invoke(app, ["data", "check"])
    assert "2 series checked, 2 clean, 0 anomalies recorded" in check.output
