"""Backtest throughput on the ten real X/BTC 5-minute pairs (~57,600 candles), end to end.

End to end = read the candle files, build the panel, compute every feature, score every row with
the LightGBM model (the rows of the candles a decision is taken on: the same scores as scoring
every row, for a twelfth of the work at the default rebalance every 12 candles), replay the decisions through `backtest.step.decide` (allocation + risk) with
next-open fills booked by the portfolio ledger, value the equity curve, compute the statistics
and buy-and-hold, and write report.json and chart.png. Training the model comes first and is
timed apart. Target: >= 60,000 candles/s. Reference: Freqtrade 2026.9 measured 12-15k candles/s
end to end (66-71k/s in its inner loop) on this machine class; it is NOT re-run here, the ratio
is to the midpoint 13,500 of that measurement.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd

from botfolio.backtest.data import read_candle_csvs
from botfolio.backtest.engine import (
    BacktestConfig,
    BacktestResult,
    Scorer,
    run_backtest,
    score_panel,
)
from botfolio.backtest.fills import FillModel
from botfolio.backtest.report import report_dict
from botfolio.backtest.service import BacktestRun, in_sample_warning, write_outputs
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.panel import build_panel
from botfolio.predictions.sources import load_csv_candles
from botfolio.predictions.training import TrainingConfig, TrainingResult, train_walk_forward
from botfolio.risk.limits import RiskLimits

REPO_ROOT = Path(__file__).resolve().parents[1]
OHLCV_DIR = Path(
    os.environ.get("BOTFOLIO_OHLCV_DIR", REPO_ROOT.parent / "shared" / "data" / "ohlcv")
)
RUNS = 7
TARGET = 60_000
FREQTRADE_END_TO_END = 13_500  # midpoint of 12-15k measured earlier; not re-run here
FREQTRADE_INNER_LOOP = 68_500  # midpoint of 66-71k measured earlier; not re-run here


def _end_to_end(files: list[Path], scorer: Scorer, out: Path) -> tuple[float, dict[str, float]]:
    """One full run; returns the seconds and the split by phase."""
    started = time.perf_counter()
    candles = read_candle_csvs(files, "5m")
    loaded = time.perf_counter()
    result = run_backtest(candles, scorer, BacktestConfig())
    replayed = time.perf_counter()
    report = report_dict(result, model_id="bench")
    write_outputs(BacktestRun(result, report, None), out)
    done = time.perf_counter()
    phases = {"read": loaded - started, "backtest": replayed - loaded, "outputs": done - replayed}
    return done - started, phases | {"candles": float(result.candles)}


def _features_and_scores(files: list[Path], scorer: Scorer, *, every: int) -> float:
    """Panel, features of every candle, and LightGBM scores of every `every`-th candle's rows."""
    candles = read_candle_csvs(files, "5m")
    started = time.perf_counter()
    panel = build_panel(candles, "5m")
    score_panel(panel, scorer, at=panel.close.index[::every])
    return time.perf_counter() - started


def _whole_process(files: list[Path], model_dir: Path, out: Path) -> float:
    """The `botfolio backtest` command as a new process: interpreter start and imports included."""
    command = [sys.executable, "-c", "from botfolio.cli.backtest_cmd import app; app()"]
    command += ["--model", str(model_dir), "--out", str(out)]
    command += [arg for path in files for arg in ("--csv", str(path))]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def _print_metrics(label: str, result: BacktestResult) -> None:
    strategy, held = result.strategy.as_dict(), result.buy_and_hold.as_dict()
    print(f"  {label}: {result.times[0]} -> {result.times[-1]}, {result.candles} candles, "
          f"{len(result.fills)} fills, {result.denials} denied, halted at {result.halted_at}")  # fmt: skip
    for key in ("total_return", "cagr", "sharpe", "sortino", "max_drawdown", "turnover"):
        print(
            f"    {key:13s} strategy {_f(strategy[key]):>10s}   buy-and-hold {_f(held[key]):>10s}"
        )


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _honest_metrics(files: list[Path], scorer: Scorer, config: TrainingConfig) -> None:
    """Out of sample only: the booster was trained on the first 70 %; replay the last 30 %."""
    candles = read_candle_csvs(files, "5m")
    times = pd.DatetimeIndex(sorted(set().union(*(f.index for f in candles.values()))))
    start = times[round(len(times) * (1 - config.holdout_fraction))].to_pydatetime()
    print("backtest figures, out of sample (model trained on the first 70 %):")
    default = run_backtest(candles, scorer, BacktestConfig(start=start))
    _print_metrics("default risk limits (5 % daily loss, 20 % drawdown halt)", default)
    loose = RiskLimits(max_daily_loss_pct=Decimal(100), max_drawdown_pct=Decimal(100))
    unhalted = run_backtest(candles, scorer, BacktestConfig(start=start, limits=loose))
    _print_metrics("loss limits off", unhalted)
    free = BacktestConfig(start=start, limits=loose, fills=FillModel(Decimal(0), Decimal(0)))
    _print_metrics("loss limits off, no fees and no slippage", run_backtest(candles, scorer, free))
    whole = run_backtest(candles, scorer, BacktestConfig(limits=loose))
    warning = in_sample_warning(whole, str(times[0]), str(times[-1]))
    _print_metrics(f"whole period, loss limits off (IN-SAMPLE: {bool(warning)})", whole)


def main() -> None:
    files = sorted(OHLCV_DIR.glob("*_BTC-5m.csv"))
    if not files:
        print(f"skipped: real candles not found in {OHLCV_DIR} (set BOTFOLIO_OHLCV_DIR)")
        return
    started = time.perf_counter()
    training = TrainingConfig(timeframe="5m", folds=2, num_boost_round=150)
    trained = train_walk_forward(read_candle_csvs(files, "5m"), training)
    booster = trained.booster
    print(f"training (2 folds + holdout, 150 rounds; not part of the backtest figure): "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    timings, phases = [], []
    with tempfile.TemporaryDirectory() as tmp:
        _end_to_end(files, booster, Path(tmp))  # warm-up: first-call costs of numpy and pandas
        for _ in range(RUNS):
            seconds, split = _end_to_end(files, booster, Path(tmp))
            timings.append(seconds)
            phases.append(split)
    candles = int(phases[0]["candles"])
    median = statistics.median(timings)
    rate = candles / median
    print(f"end to end over {candles} candles, median of {RUNS} runs: {median * 1000:.0f} ms "
          f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f})")  # fmt: skip
    for name in ("read", "backtest", "outputs"):
        print(f"  {name:9s} median {statistics.median(p[name] for p in phases) * 1000:7.1f} ms")
    scoring = statistics.median(_features_and_scores(files, booster, every=12) for _ in range(3))
    print(f"  of which panel + features (all candles) + LightGBM scores (rows of the 480 decision "
          f"candles): {scoring * 1000:.1f} ms")  # fmt: skip
    every_row = statistics.median(_features_and_scores(files, booster, every=1) for _ in range(3))
    print(f"  for the record, scoring every row instead: {every_row * 1000:.1f} ms, end to end "
          f"{candles / (median - scoring + every_row):,.0f} candles/s")  # fmt: skip
    loop = statistics.median(p["backtest"] for p in phases) - scoring
    print(f"  replay loop, equity, statistics, buy-and-hold: {loop * 1000:.1f} ms "
          f"= {candles / loop:,.0f} candles/s vs Freqtrade's inner loop {FREQTRADE_INNER_LOOP:,} "
          f"(x{candles / loop / FREQTRADE_INNER_LOOP:.2f})")  # fmt: skip
    print(f"throughput end to end: {rate:,.0f} candles/s (target {TARGET:,}: "
          f"{'met' if rate >= TARGET else 'NOT met'})")  # fmt: skip
    print(f"ratio to Freqtrade 2026.9 end to end (13,500 candles/s, the midpoint of 12-15k measured "
          f"earlier on this machine class; Freqtrade is not re-run here): x{rate / FREQTRADE_END_TO_END:.2f}")  # fmt: skip
    exact = time.perf_counter()
    load_csv_candles(files, "5m")
    exact_read = time.perf_counter() - exact
    print(f"for the record: the row-by-row Decimal importer would add {exact_read * 1000:.0f} ms; "
          f"with it: {candles / (median + exact_read - statistics.median(p['read'] for p in phases)):,.0f} candles/s")  # fmt: skip
    _print_process_figures(files, trained, candles)
    _honest_metrics(files, booster, training)


def _print_process_figures(files: list[Path], trained: TrainingResult, candles: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        save_artifact(trained, Path(tmp) / "model")
        walls = [_whole_process(files, Path(tmp) / "model", Path(tmp) / "out") for _ in range(3)]
    wall = statistics.median(walls)
    print(f"whole process (`botfolio backtest` in a new interpreter: start-up and imports of "
          f"pandas, LightGBM, SQLAlchemy included), median of 3: {wall:.2f} s = "
          f"{candles / wall:,.0f} candles/s, x{candles / wall / FREQTRADE_END_TO_END:.2f} of 13,500")  # fmt: skip
