"""Shared CLI plumbing: building the runtime, running coroutines, printing errors clearly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

from botfolio.config import Settings, get_settings
from botfolio.errors import BotfolioError, ValidationFailedError
from botfolio.logs import configure_logging
from botfolio.runtime import Runtime

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log.level, json_output=settings.log.json_output)
    return settings


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Build a runtime, run `work` on it, close it; a BotfolioError exits 1 with its message."""

    async def _main() -> T:
        runtime = Runtime.from_settings(load_settings())
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(_main())
    except BotfolioError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


def load_candles(
    venue: str | None,
    timeframe: str,
    symbols: list[str],
    csv: list[Path],
    read_csv: Callable[[list[Path], str], dict[str, pd.DataFrame]],
) -> dict[str, pd.DataFrame]:
    """Candles for a command: from `--csv` files with `read_csv`, else stored ones of `--venue`."""
    from botfolio.predictions.sources import load_stored_candles, parse_symbols

    if csv:
        return read_csv(csv, timeframe)
    if venue is None:
        raise ValidationFailedError("give --csv files or --venue and --symbols (stored candles)")
    wanted = parse_symbols(symbols)

    async def _load(runtime: Runtime) -> dict[str, pd.DataFrame]:
        async with runtime.db.session() as session:
            return await load_stored_candles(session, venue, wanted, timeframe)

    return run_with_runtime(_load)
