"""`botfolio backtest`: replay candles through the bots' own decision code, write report and chart."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from botfolio.cli.common import console, err_console, load_candles
from botfolio.errors import BotfolioError, ValidationFailedError

if TYPE_CHECKING:  # pandas, LightGBM and the backtest load only when the command runs
    import pandas as pd

    from botfolio.backtest.engine import BacktestConfig
    from botfolio.backtest.service import BacktestRun

app = typer.Typer()

STATISTICS = (
    ("total return", "total_return", "{:+.2%}"),
    ("CAGR", "cagr", "{:+.2%}"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("Sortino", "sortino", "{:.2f}"),
    ("max drawdown", "max_drawdown", "{:.2%}"),
    ("turnover", "turnover", "{:.1f}x"),
)


@app.command("backtest")
def backtest(
    model: Annotated[Path, typer.Option(help="Model artifact directory (botfolio model train).")],
    out: Annotated[Path, typer.Option(help="Directory for report.json and chart.png.")],
    csv: Annotated[
        list[Path] | None, typer.Option(help="Candle CSV files (ETH_BTC-5m.csv), repeated.")
    ] = None,
    venue: Annotated[str | None, typer.Option(help="Venue of stored candles.")] = None,
    symbols: Annotated[
        list[str] | None, typer.Option(help="Stored symbols: --symbols ETH/BTC,LTC/BTC.")
    ] = None,
    timeframe: Annotated[str, typer.Option(help="Candle timeframe, like 5m.")] = "5m",
    start: Annotated[str | None, typer.Option(help="First candle (ISO-8601, UTC).")] = None,
    end: Annotated[str | None, typer.Option(help="Last candle (ISO-8601, UTC).")] = None,
    cash: Annotated[str, typer.Option(help="Starting cash in the quote currency.")] = "1",
    rebalance_every: Annotated[int, typer.Option(help="Candles between decisions.")] = 12,
    fee_rate: Annotated[str, typer.Option(help="Fee as a share of the value filled.")] = "0.001",
    slippage_bps: Annotated[str, typer.Option(help="Slippage in basis points.")] = "5",
    top_k: Annotated[int, typer.Option(help="Assets held at most.")] = 3,
    max_weight: Annotated[str, typer.Option(help="Largest weight of one asset.")] = "0.4",
    cash_buffer: Annotated[str, typer.Option(help="Share of equity kept in cash.")] = "0.05",
    max_drawdown_pct: Annotated[str, typer.Option(help="Drawdown (%) that halts the bot.")] = "20",
    max_daily_loss_pct: Annotated[str, typer.Option(help="Daily loss (%) that halts it.")] = "5",
) -> None:
    """Replay history through the live bots' allocation, risk and ledger code; fills at the
    next candle's open with fees and slippage; compare with buy-and-hold."""
    try:
        config = _config(
            timeframe, start, end, cash, rebalance_every, fee_rate, slippage_bps,
            top_k, max_weight, cash_buffer, max_drawdown_pct, max_daily_loss_pct,
        )  # fmt: skip
        candles = _load_candles(venue, timeframe, symbols or [], csv or [])
        run = _run(candles, model, config)
        from botfolio.backtest.service import write_outputs

        report_path, chart_path = write_outputs(run, out)
    except BotfolioError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    _print_summary(run)
    console.print(f"report {report_path}, chart {chart_path}")


def _decimal(name: str, text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValidationFailedError(f"--{name} is not a number: {text!r}") from exc


def _config(
    timeframe: str,
    start: str | None,
    end: str | None,
    cash: str,
    rebalance_every: int,
    fee_rate: str,
    slippage_bps: str,
    top_k: int,
    max_weight: str,
    cash_buffer: str,
    max_drawdown_pct: str,
    max_daily_loss_pct: str,
) -> BacktestConfig:
    from pydantic import ValidationError

    from botfolio.backtest.engine import BacktestConfig
    from botfolio.backtest.fills import FillModel
    from botfolio.backtest.service import parse_moment
    from botfolio.bots.allocation import AllocationPolicy
    from botfolio.risk.limits import RiskLimits

    try:
        policy = AllocationPolicy(
            top_k=top_k,
            max_weight=_decimal("max-weight", max_weight),
            cash_buffer=_decimal("cash-buffer", cash_buffer),
        )
        limits = RiskLimits(
            max_drawdown_pct=_decimal("max-drawdown-pct", max_drawdown_pct),
            max_daily_loss_pct=_decimal("max-daily-loss-pct", max_daily_loss_pct),
        )
    except (ValueError, ValidationError) as exc:
        raise ValidationFailedError(str(exc)) from exc
    return BacktestConfig(
        timeframe=timeframe,
        initial_cash=_decimal("cash", cash),
        rebalance_every=rebalance_every,
        policy=policy,
        limits=limits,
        fills=FillModel(_decimal("fee-rate", fee_rate), _decimal("slippage-bps", slippage_bps)),
        start=parse_moment(start),
        end=parse_moment(end),
    )


def _load_candles(
    venue: str | None, timeframe: str, symbols: list[str], csv: list[Path]
) -> dict[str, pd.DataFrame]:
    from botfolio.backtest.data import read_candle_csvs

    return load_candles(venue, timeframe, symbols, csv, read_candle_csvs)


def _run(candles: dict[str, pd.DataFrame], model_dir: Path, config: BacktestConfig) -> BacktestRun:
    from botfolio.backtest.service import run_with_model
    from botfolio.predictions.artifacts import load_artifact

    model = load_artifact(model_dir)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("features and scores", total=None)

        def _advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description="rebalances")

        return run_with_model(candles, model, config, on_progress=_advance)


def _print_summary(run: BacktestRun) -> None:
    report = run.report
    table = Table(title=f"{report['start']} to {report['end']}, {report['candles']} candles")
    table.add_column("")
    table.add_column("strategy", justify="right")
    table.add_column("buy and hold", justify="right")
    for label, key, form in STATISTICS:
        table.add_row(label, _shown(report["strategy"][key], form),
                      _shown(report["buy_and_hold"][key], form))  # fmt: skip
    console.print(table)
    risk = report["risk"]
    console.print(f"{len(report['trades'])} trades, {risk['denied_orders']} orders denied by risk")
    if risk["halted_at"]:
        console.print(f"[yellow]halted at {risk['halted_at']}:[/yellow] {risk['halt_reason']}")
    if run.in_sample_warning:
        console.print(f"[yellow]warning:[/yellow] {run.in_sample_warning}")


def _shown(value: float | None, form: str) -> str:
    return "n/a" if value is None else form.format(value)
