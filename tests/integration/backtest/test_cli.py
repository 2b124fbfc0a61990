"""`botfolio backtest` in-process on candle files and a real model artifact: report and PNG."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from typer.testing import CliRunner

from botfolio.backtest.chart import HEIGHT, PNG_SIGNATURE, WIDTH
from botfolio.cli.backtest_cmd import app

from .conftest import Market


def _args(market: Market, out: Path, *extra: str) -> list[str]:
    files = [arg for path in market.csv_files for arg in ("--csv", str(path))]
    return ["--model", str(market.model_dir), "--out", str(out), *files, *extra]


def test_backtest_cli_when_given_files_and_model_writes_json_report_and_png(
    market: Market, tmp_path: Path
) -> None:
    out = tmp_path / "run"

    result = CliRunner().invoke(app, _args(market, out, "--rebalance-every", "6"))

    assert result.exit_code == 0, result.output
    assert "buy and hold" in result.output and "rebalances" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["candles"] == 900 * 4 and report["decisions"] == 150
    assert report["model_id"].startswith("ohlcv-v1-5m-h6-")
    assert report["in_sample_warning"]  # the model was trained on these very candles
    assert len(report["trades"]) > 0
    assert report["strategy"]["max_drawdown"] <= 0
    png = (out / "chart.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", png[16:24]) == (WIDTH, HEIGHT)


def test_backtest_cli_when_period_given_replays_only_it(market: Market, tmp_path: Path) -> None:
    times = market.frames["AAA/BTC"].index

    result = CliRunner().invoke(
        app, _args(market, tmp_path, "--start", times[600].isoformat(), "--end", str(times[-1]))
    )

    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["start"] == times[600].isoformat() and report["candles"] == 300 * 4


def test_backtest_cli_when_input_bad_says_why_and_writes_nothing(
    market: Market, tmp_path: Path
) -> None:
    out = tmp_path / "never"
    runs = {
        "no model": ["--model", str(tmp_path / "missing"), *_args(market, out)[2:]],
        "bad fee": _args(market, out, "--fee-rate", "lots"),
        "bad weight": _args(market, out, "--max-weight", "2"),
        "no data": ["--model", str(market.model_dir), "--out", str(out)],
        "wrong timeframe": _args(market, out, "--timeframe", "1h"),
    }

    outputs = {name: CliRunner().invoke(app, args) for name, args in runs.items()}

    for name, result in outputs.items():
        assert result.exit_code == 1, (name, result.output)
        assert "error:" in result.output, name
    assert not out.exists()
