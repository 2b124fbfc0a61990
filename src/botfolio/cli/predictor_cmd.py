"""`botfolio predictor`: the AI prediction engine as its own HTTP role (POST /v1/predict)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from botfolio.api.server import ServeOptions, build_server, check_transport_security
from botfolio.cli.common import err_console, load_settings
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.errors import BotfolioError
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

DEFAULT_PORT = 8100


@app.command("predictor")
def predictor(
    host: Annotated[
        str, typer.Option(help="Bind address (an internal role: loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = DEFAULT_PORT,
    family: Annotated[str, typer.Option(help="Model family to serve.")] = "default",
    reload_seconds: Annotated[
        float, typer.Option(min=0.05, help="How often to poll the registry for changes.")
    ] = 2.0,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate: serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    allow_insecure_http: Annotated[
        bool,
        typer.Option("--allow-insecure-http", help="Allow plain HTTP on a non-loopback address."),
    ] = False,
    migrate_first: Annotated[
        bool, typer.Option("--migrate", help="Upgrade the database schema before serving.")
    ] = False,
) -> None:
    """Serve predictions from the registry's champion and canary; hot-reloads on registry changes."""
    settings = load_settings()
    options = ServeOptions(
        host=host,
        port=port,
        tls_cert=tls_cert,
        tls_key=tls_key,
        allow_insecure_http=allow_insecure_http,
    )
    try:
        check_transport_security(options)
        if migrate_first or settings.database.migrate_on_start:
            migrate.upgrade(settings.database.url.get_secret_value())
    except BotfolioError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from exc
    asyncio.run(_serve(settings, options, family, reload_seconds))


async def _serve(
    settings: Settings, options: ServeOptions, family: str, reload_seconds: float
) -> None:
    from botfolio.predictions.engine_host import EngineHost
    from botfolio.predictions.serving_app import create_predictor_app
    from botfolio.predictions.serving_config import ServingPolicy

    runtime = Runtime.from_settings(settings)
    policy = ServingPolicy(reload_interval_seconds=reload_seconds)
    host = EngineHost(runtime.db, runtime.clock, family=family, policy=policy)
    try:
        await build_server(create_predictor_app(host), options).serve()
    finally:
        await runtime.close()
