"""`botfolio api` and `botfolio demo`: the long-running roles served over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from botfolio.api.app import create_app
from botfolio.api.server import ServeOptions, build_server, check_transport_security
from botfolio.cli.common import console, err_console, load_settings
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.errors import BotfolioError
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)


@app.command("api")
def api(
    host: Annotated[str | None, typer.Option(help="Bind address [default: api.host].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: api.port].")] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help="PEM certificate: serve HTTPS, with HSTS.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    allow_insecure_http: Annotated[
        bool,
        typer.Option(
            "--allow-insecure-http",
            help="Allow plain HTTP on a non-loopback address (TLS ends at a proxy in front).",
        ),
    ] = False,
    migrate_first: Annotated[
        bool, typer.Option("--migrate", help="Upgrade the database schema before serving.")
    ] = False,
) -> None:
    """Serve the REST API (OpenAPI at /docs), /healthz, /readyz, /version and /metrics."""
    settings = load_settings()
    base = ServeOptions.from_settings(settings.api)
    options = ServeOptions(
        host=host or base.host,
        port=port or base.port,
        tls_cert=tls_cert or base.tls_cert,
        tls_key=tls_key or base.tls_key,
        allow_insecure_http=allow_insecure_http or base.allow_insecure_http,
    )
    _exit_on_error(lambda: check_transport_security(options))
    if migrate_first or settings.database.migrate_on_start:
        _exit_on_error(lambda: migrate.upgrade(settings.database.url.get_secret_value()))
    asyncio.run(_serve(settings, options))


async def _serve(settings: Settings, options: ServeOptions) -> None:
    runtime = Runtime.from_settings(settings)
    await build_server(create_app(runtime), options).serve()


@app.command("demo")
def demo_command(
    duration: Annotated[
        float | None,
        typer.Option(min=0, help="Stop after this many seconds [default: run until Ctrl-C]."),
    ] = None,
    port: Annotated[int, typer.Option(help="API port on 127.0.0.1.")] = 8000,
) -> None:
    """Run the whole service in one process on the embedded default (SQLite under ./var):
    the exchange simulator, a first model, a demo user with three bots, API, worker, scheduler."""
    from botfolio.cli import demo  # pandas, LightGBM, the simulator: only when the demo runs

    settings = load_settings()
    _exit_on_error(lambda: demo.prepare(settings))
    try:
        asyncio.run(demo.run(settings, port=port, duration=duration))
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C once everything has shut down
        console.print("demo stopped")


def _exit_on_error(step: Callable[[], None]) -> None:
    try:
        step()
    except BotfolioError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
