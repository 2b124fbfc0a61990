"""`botfolio model train` from CSV files and from stored candles writes a loadable artifact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from botfolio.cli.main import app
from botfolio.config import get_settings
from botfolio.market.candles import frame_to_candles
from botfolio.market.csv_import import write_candle_file
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.artifacts import load_artifact

START = datetime(2026, 2, 1, tzinfo=UTC)
SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT")
SMALL = ["--horizon", "6", "--folds", "2", "--rounds", "10", "--top-k", "2"]


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL", db_url)
    monkeypatch.setenv("BOTFOLIO_LOG__JSON_OUTPUT", "false")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def write_files(directory: Path) -> list[str]:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS, start=START), seed=3, bars=900)
    paths = []
    for symbol, frame in frames.items():
        path = directory / f"{symbol.replace('/', '_')}-5m.csv"
        write_candle_file(path, frame_to_candles(frame))
        paths.append(str(path))
    return paths


def test_model_train_when_given_csv_files_prints_metrics_and_writes_artifact(
    tmp_path: Path,
) -> None:
    csv_options = [part for path in write_files(tmp_path) for part in ("--csv", path)]
    out = tmp_path / "model"
    result = CliRunner().invoke(app, ["model", "train", *csv_options, *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "holdout" in result.output and "IC" in result.output
    loaded = load_artifact(out)
    assert loaded.metadata.symbols == sorted(SYMBOLS)
    assert loaded.metadata.model_id in result.output


def test_model_train_when_candles_are_stored_trains_from_the_database(
    cli_env: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["data", "import", *write_files(tmp_path), "--venue", "sim"])
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "db-model"
    symbols = ["--symbols", "AAA/USDT,BBB/USDT", "--symbols", "CCC/USDT", "--symbols", "DDD/USDT"]
    result = runner.invoke(
        app, ["model", "train", "--venue", "sim", *symbols, *SMALL, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert load_artifact(out).metadata.symbols == sorted(SYMBOLS)


def test_model_train_when_symbol_has_no_candles_fails_clearly(cli_env: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["model", "train", "--venue", "sim", "--symbols", "ZZZ/USDT", "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 1
    assert "no 5m candles stored for ZZZ/USDT on sim" in result.output
    assert not (tmp_path / "m").exists()
