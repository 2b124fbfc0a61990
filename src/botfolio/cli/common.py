"""Shared CLI plumbing: building the runtime, running coroutines, printing errors clearly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from botfolio.config import Settings, get_settings
from botfolio.errors import BotfolioError
from botfolio.logs import configure_logging
from botfolio.runtime import Runtime

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
