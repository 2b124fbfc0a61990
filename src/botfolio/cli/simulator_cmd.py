"""`botfolio simulator`: run the local exchange (Binance spot + Upbit dialects) in the foreground."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from botfolio.exchanges.simulator.config import SimulatorConfig
    from botfolio.exchanges.simulator.server import RunningSimulator

app = typer.Typer(no_args_is_help=True)


@app.command("simulator")
def simulator(
    binance_port: Annotated[int, typer.Option(help="Binance spot dialect port (0 = any).")] = 8101,
    upbit_port: Annotated[int, typer.Option(help="Upbit dialect port (0 = any).")] = 8102,
    host: Annotated[str, typer.Option(help="Address to bind; keep it on loopback.")] = "127.0.0.1",
    speed: Annotated[
        float, typer.Option(help="Market seconds per real second; 0 = stepped.")
    ] = 60.0,
    csv_dir: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="BASE_QUOTE-*.csv -> Binance markets."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random-walk markets and ids.")] = 0,
    accounts_file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="YAML/JSON {binance: [...], upbit: [...]}."),
    ] = None,
    start: Annotated[
        datetime | None, typer.Option(help="Market start, UTC unless an offset is given.")
    ] = None,
) -> None:
    """Run the exchange simulator until interrupted; prints URLs, control token and demo keys."""
    # Imported here so that every other `botfolio` command starts without the web stack.
    from botfolio.exchanges.simulator.config import SimulatorConfig, load_accounts_file

    config = SimulatorConfig(host=host, speed=speed, seed=seed, csv_dir=csv_dir)
    config.binance.port, config.upbit.port = binance_port, upbit_port
    if start is not None:
        config.start = start if start.tzinfo else start.replace(tzinfo=UTC)
    if accounts_file is not None:
        try:
            accounts = load_accounts_file(accounts_file)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--accounts-file") from exc
        config.binance.accounts = accounts.get("binance", config.binance.accounts)
        config.upbit.accounts = accounts.get("upbit", config.upbit.accounts)
    try:
        asyncio.run(_serve_forever(config))
    except KeyboardInterrupt:
        typer.echo("simulator stopped")


async def _serve_forever(config: SimulatorConfig) -> None:
    from botfolio.exchanges.simulator.server import run_simulator

    async with run_simulator(config) as sim:
        _print_banner(sim)
        sys.stdout.flush()
        await asyncio.Event().wait()


def _print_banner(sim: RunningSimulator) -> None:
    typer.echo(f"binance spot : {sim.binance_url}   (ccxt: point urls['api'] here)")
    typer.echo(f"upbit        : {sim.upbit_url}")
    typer.echo(f"market time  : {sim.clock.now().isoformat()}  speed x{sim.clock.speed:g}")
    typer.echo(f"control token: {sim.control_token}   (header X-Sim-Token, paths /_sim/...)")
    for credential in sim.credentials():
        typer.echo(
            f"demo account : {credential.venue:8} key={credential.api_key} secret={credential.secret}"
        )
