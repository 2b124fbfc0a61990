"""`botfolio data import | check | synthesize`: load candles into storage and check their quality."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from botfolio.cli.common import console, err_console, run_with_runtime
from botfolio.errors import ValidationFailedError
from botfolio.runtime import Runtime

if TYPE_CHECKING:  # pandas-backed modules load only when a command runs: the CLI starts fast
    from botfolio.market.importer import ImportResult
    from botfolio.market.quality import QualityReport
    from botfolio.market.repository import SeriesKey

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path], typer.Argument(help="Candle CSV files: date,open,high,low,close,volume.")
    ],
    venue: Annotated[str, typer.Option(help="The venue the candles come from, like binance.")],
    timeframe: Annotated[str, typer.Option(help="Candle duration, like 5m or 1h.")] = "5m",
    symbol: Annotated[
        str | None,
        typer.Option(help="BASE/QUOTE; default from the file name (ETH_BTC-5m.csv -> ETH/BTC)."),
    ] = None,
) -> None:
    """Import candles; re-importing the same data changes nothing. A bad file is refused whole."""
    if symbol is not None and len(paths) > 1:
        err_console.print("[red]error:[/red] --symbol applies to one file; drop it for several")
        raise typer.Exit(2)

    async def _import(runtime: Runtime) -> list[str]:
        failures: list[str] = []
        results: list[ImportResult] = []
        with _progress() as progress:
            for path in paths:
                try:
                    results.append(
                        await _import_one(runtime, progress, path, venue, timeframe, symbol)
                    )
                except ValidationFailedError as exc:
                    failures.append(exc.message)
        _print_imports(results)
        return failures

    failures = run_with_runtime(_import)
    for failure in failures:
        err_console.print(f"[red]error:[/red] {failure}")
    if failures:
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    )


async def _import_one(
    runtime: Runtime,
    progress: Progress,
    path: Path,
    venue: str,
    timeframe: str,
    symbol: str | None,
) -> ImportResult:
    from botfolio.market.importer import import_candle_file, resolve_series

    series = resolve_series(path, venue, timeframe, symbol)
    task = progress.add_task(f"{path.name} -> {series.symbol}", total=None)
    async with runtime.db.transaction() as session:
        return await import_candle_file(
            session,
            path,
            series,
            on_parsed=lambda rows: progress.update(task, total=rows),
            on_rows=lambda rows: progress.advance(task, rows),
        )


def _print_imports(results: list[ImportResult]) -> None:
    if not results:
        return
    table = Table(title="Imported candles")
    for column in ("file", "venue", "symbol", "timeframe", "rows read", "rows changed"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.path.name,
            r.series.venue,
            r.series.symbol,
            r.series.timeframe,
            str(r.rows_read),
            str(r.rows_changed),
        )
    console.print(table)


@app.command("fetch")
def fetch(
    symbols: Annotated[list[str], typer.Argument(help="Symbols such as BTC/USDT.")],
    venue: Annotated[str, typer.Option(help="A configured venue (exchanges.venues).")] = "binance",
    timeframe: Annotated[str, typer.Option(help="Candle timeframe, e.g. 1m, 5m, 1h.")] = "5m",
    since: Annotated[
        datetime | None,
        typer.Option(help="UTC start for the first fetch; later fetches resume by themselves."),
    ] = None,
) -> None:
    """Fetch candles from a venue through the exchange gateway, page by page, into the store."""

    async def _fetch(runtime: Runtime) -> None:
        from botfolio.market.fetch import GatewayCandleFetcher, fetch_into_store
        from botfolio.market.repository import SeriesKey

        if venue not in runtime.settings.exchanges.venues:
            raise ValidationFailedError(f"venue {venue!r} is not configured")
        start = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
        fetcher = GatewayCandleFetcher(await runtime.gateways.for_market_data(venue))
        with _progress() as progress:
            for symbol in symbols:
                task = progress.add_task(f"{venue} {symbol} {timeframe}", total=None)
                result = await fetch_into_store(
                    runtime.db,
                    fetcher,
                    SeriesKey(venue, symbol.upper(), timeframe),
                    runtime.clock.now(),
                    since=start,
                    on_page=functools.partial(progress.advance, task),
                )
                progress.update(task, total=result.candles_received)
                console.print(
                    f"{symbol}: {result.candles_received} candles in {result.pages} page(s), "
                    f"{result.rows_changed} stored or updated",
                    highlight=False,
                )

    run_with_runtime(_fetch)


@app.command("check")
def check(
    venue: str | None = typer.Option(None, help="Only this venue."),
    symbol: str | None = typer.Option(None, help="Only this symbol (BASE/QUOTE)."),
    spike_sigmas: float = typer.Option(8.0, help="Flag returns this many rolling sigmas out."),
    stale_after_bars: int = typer.Option(3, help="Flag a feed whose last candle is older."),
    limit: int = typer.Option(50, help="Show at most this many anomalies (all are recorded)."),
) -> None:
    """Check stored candles (gaps, duplicates, bad prices, spikes, stale feed); record findings."""
    from botfolio.market.quality import QualityConfig, check_series
    from botfolio.market.repository import list_series

    config = QualityConfig(spike_sigmas=spike_sigmas, stale_after_bars=stale_after_bars)

    async def _check(runtime: Runtime) -> list[tuple[SeriesKey, QualityReport]]:
        async with runtime.db.session() as session:
            everything = await list_series(session, venue=venue, symbol=symbol)
        reports = []
        for series in everything:
            async with runtime.db.transaction() as session:
                reports.append(
                    (series, await check_series(session, series, runtime.clock.now(), config))
                )
        return reports

    reports = run_with_runtime(_check)
    if not reports:
        console.print("no stored candles match; nothing to check")
        return
    _print_reports(reports, limit)


def _print_reports(reports: list[tuple[SeriesKey, QualityReport]], limit: int) -> None:
    table = Table(title="Market data anomalies")
    for column in ("venue", "symbol", "timeframe", "at", "kind"):
        table.add_column(column, no_wrap=True)
    table.add_column("reason")
    shown = 0
    for series, report in reports:
        for anomaly in report.anomalies[: max(limit - shown, 0)]:
            table.add_row(
                series.venue,
                series.symbol,
                series.timeframe,
                anomaly.at.strftime("%Y-%m-%d %H:%M"),
                str(anomaly.kind),
                anomaly.reason,
            )
            shown += 1
    total = sum(len(report.anomalies) for _, report in reports)
    if total:
        console.print(table)
    clean = sum(report.ok for _, report in reports)
    console.print(
        f"{len(reports)} series checked, {clean} clean, {total} anomalies recorded"
        + (f" ({total - shown} not shown)" if total > shown else "")
    )


@app.command("synthesize")
def synthesize(
    venue: Annotated[
        str, typer.Option(help="Venue name to store the candles under.")
    ] = "synthetic",
    symbols: Annotated[
        str, typer.Option(help="Comma-separated BASE/QUOTE symbols.")
    ] = "BTC/USDT,ETH/USDT,SOL/USDT",
    timeframe: Annotated[str, typer.Option(help="Candle duration, like 5m.")] = "5m",
    bars: Annotated[int, typer.Option(min=1, help="Candles per symbol, ending now.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same market.")] = 0,
) -> None:
    """Store a reproducible synthetic history (correlated, GARCH, regimes) that ends now."""
    from botfolio.market.candles import frame_to_candles
    from botfolio.market.repository import SeriesKey, upsert_candles
    from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
    from botfolio.market.timeframes import floor_to_timeframe, parse_timeframe, validate_symbol

    async def _synthesize(runtime: Runtime) -> int:
        wanted = tuple(validate_symbol(s.strip()) for s in symbols.split(",") if s.strip())
        step = parse_timeframe(timeframe)
        start = floor_to_timeframe(runtime.clock.now(), timeframe) - bars * step
        config = SyntheticMarketConfig(symbols=wanted, timeframe=timeframe, start=start)
        frames = generate_frames(config, seed=seed, bars=bars)
        changed = 0
        async with runtime.db.transaction() as session:
            for symbol, frame in frames.items():
                series = SeriesKey(venue, symbol, timeframe)
                changed += await upsert_candles(session, series, frame_to_candles(frame))
        return changed

    changed = run_with_runtime(_synthesize)
    console.print(f"synthetic candles stored on {venue}: {changed} rows written (seed {seed})")
