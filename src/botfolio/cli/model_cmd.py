"""`botfolio model train`: walk-forward training of a LightGBM model into a self-contained artifact."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from botfolio.cli.common import console, err_console, load_candles
from botfolio.cli.model_registry_cmd import register as _register_registry_commands
from botfolio.errors import BotfolioError

if TYPE_CHECKING:  # pandas and LightGBM load only when a command runs: the CLI starts fast
    import pandas as pd

    from botfolio.predictions.training import FoldResult, TrainingConfig, TrainingResult

app = typer.Typer(no_args_is_help=True)
_register_registry_commands(app)

METRIC_COLUMNS = (
    ("IC", "information_coefficient"),
    ("hit rate", "hit_rate"),
    ("RMSE", "rmse"),
    ("MAE", "mae"),
    ("top-k Sharpe", "top_k_sharpe"),
    ("benchmark Sharpe", "benchmark_sharpe"),
)


@app.command("train")
def train(
    out: Annotated[Path, typer.Option(help="Directory for model.txt and metadata.json.")],
    venue: Annotated[str | None, typer.Option(help="Venue of the stored candles.")] = None,
    timeframe: Annotated[str, typer.Option(help="Candle timeframe, like 5m.")] = "5m",
    symbols: Annotated[
        list[str] | None,
        typer.Option(help="Symbols, repeated or comma-separated: --symbols ETH/BTC,LTC/BTC."),
    ] = None,
    csv: Annotated[
        list[Path] | None,
        typer.Option(help="Train from candle CSV files (ETH_BTC-5m.csv) instead of the database."),
    ] = None,
    horizon: Annotated[int, typer.Option(help="Forecast horizon in candles.")] = 12,
    execution_lag: Annotated[
        int, typer.Option(help="Candles between the signal and the start of the target return.")
    ] = 0,
    folds: Annotated[int, typer.Option(help="Walk-forward validation folds.")] = 4,
    holdout: Annotated[float, typer.Option(help="Share of the newest data held out.")] = 0.3,
    top_k: Annotated[int, typer.Option(help="Basket size of the ranking backtest.")] = 3,
    rounds: Annotated[int, typer.Option(help="LightGBM boosting rounds.")] = 150,
    threads: Annotated[int, typer.Option(help="LightGBM threads (more only on idle cores).")] = 1,
) -> None:
    """Train with walk-forward validation, print the metrics and write the artifact to --out."""
    from botfolio.predictions.artifacts import save_artifact
    from botfolio.predictions.training import TrainingConfig, default_lightgbm_params

    params = {**default_lightgbm_params(), "num_threads": threads}
    try:
        config = TrainingConfig(
            timeframe=timeframe,
            horizon=horizon,
            execution_lag=execution_lag,
            folds=folds,
            holdout_fraction=holdout,
            top_k=top_k,
            num_boost_round=rounds,
            params=params,
        )
        candles = _load_candles(venue, timeframe, symbols or [], csv or [])
        started = time.perf_counter()
        result = _train_with_progress(candles, config)
        metadata = save_artifact(result, out)
    except BotfolioError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    _print_metrics(result)
    console.print(
        f"model {metadata.model_id} written to {out} "
        f"(sha256 {metadata.model_sha256[:16]}..., {time.perf_counter() - started:.1f} s)"
    )


def _load_candles(
    venue: str | None, timeframe: str, symbols: list[str], csv: list[Path]
) -> dict[str, pd.DataFrame]:
    from botfolio.predictions.sources import load_csv_candles

    return load_candles(venue, timeframe, symbols, csv, load_csv_candles)


def _train_with_progress(
    candles: dict[str, pd.DataFrame], config: TrainingConfig
) -> TrainingResult:
    from botfolio.predictions.training import train_walk_forward

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("walk-forward folds + holdout", total=config.folds + 1)

        def _done(fold: FoldResult) -> None:
            progress.update(task, advance=1, description=f"{fold.name} done")

        return train_walk_forward(candles, config, on_fold=_done)


def _print_metrics(result: TrainingResult) -> None:
    table = Table(title=f"Walk-forward metrics (horizon {result.config.horizon} bars)")
    table.add_column("split")
    table.add_column("train rows", justify="right")
    table.add_column("test rows", justify="right")
    for title, _ in METRIC_COLUMNS:
        table.add_column(title, justify="right")
    for fold in [*result.folds, result.holdout]:
        values = fold.metrics.as_dict()
        table.add_row(
            fold.name,
            str(fold.train_rows),
            str(fold.metrics.rows),
            *(_format(float(values[key])) for _, key in METRIC_COLUMNS),
        )
    console.print(table)


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
