"""Backtest use cases shared by the CLI and the API: run on a model artifact, write the outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from botfolio.backtest.chart import write_chart
from botfolio.backtest.engine import BacktestConfig, BacktestResult, ProgressCallback, run_backtest
from botfolio.backtest.report import report_dict, write_report
from botfolio.errors import ValidationFailedError
from botfolio.predictions.artifacts import LoadedModel

REPORT_FILE = "report.json"
CHART_FILE = "chart.png"


@dataclass(frozen=True)
class BacktestRun:
    result: BacktestResult
    report: dict[str, Any]
    in_sample_warning: str | None


def run_with_model(
    candles: Mapping[str, pd.DataFrame],
    model: LoadedModel,
    config: BacktestConfig,
    *,
    on_progress: ProgressCallback | None = None,
) -> BacktestRun:
    """Replay `candles` with a stored model; refuses a model made for another timeframe."""
    metadata = model.metadata
    if metadata.timeframe != config.timeframe:
        raise ValidationFailedError(
            f"model {metadata.model_id} forecasts {metadata.timeframe} candles, "
            f"not {config.timeframe}"
        )
    result = run_backtest(candles, model.booster, config, on_progress=on_progress)
    report = report_dict(result, model_id=metadata.model_id)
    warning = in_sample_warning(result, metadata.data_start, metadata.data_end)
    report["in_sample_warning"] = warning
    return BacktestRun(result, report, warning)


def in_sample_warning(result: BacktestResult, data_start: str, data_end: str) -> str | None:
    """Figures over candles the model was made from flatter it: say so, never hide it."""
    trained_from, trained_to = pd.Timestamp(data_start), pd.Timestamp(data_end)
    if result.times[-1] < trained_from or result.times[0] > trained_to:
        return None
    return (
        f"the backtest period overlaps the model's data ({trained_from} to {trained_to}: its "
        "training folds and holdout); figures over the part it was trained on are in-sample"
    )


def write_outputs(run: BacktestRun, directory: Path) -> tuple[Path, Path]:
    report_path, chart_path = directory / REPORT_FILE, directory / CHART_FILE
    write_report(run.report, report_path)
    write_chart(run.result.equity, run.result.benchmark_equity, chart_path)
    return report_path, chart_path


def parse_moment(text: str | None) -> datetime | None:
    """An ISO-8601 time; a naive one is read as UTC."""
    if text is None:
        return None
    try:
        moment = pd.Timestamp(text)
    except ValueError as exc:
        raise ValidationFailedError(f"not an ISO-8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    return moment.tz_convert("UTC").to_pydatetime()
