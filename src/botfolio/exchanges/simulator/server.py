"""Runs the simulator: one uvicorn server per venue dialect, in the caller's event loop."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI

from botfolio.clock import Clock, SystemClock
from botfolio.exchanges.simulator.binance.app import create_binance_app
from botfolio.exchanges.simulator.candles import CandleSource
from botfolio.exchanges.simulator.clock import SimulatorClock
from botfolio.exchanges.simulator.config import SimulatorConfig, VenueConfig
from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.control import create_account
from botfolio.exchanges.simulator.control_client import SimulatorControl
from botfolio.exchanges.simulator.factory import RulesFor, binance_rules, build_venue, upbit_rules
from botfolio.exchanges.simulator.faults import FaultBook
from botfolio.exchanges.simulator.upbit.app import create_upbit_app


@dataclass(frozen=True, slots=True)
class DemoCredential:
    venue: str
    api_key: str
    secret: str


@dataclass(slots=True)
class RunningSimulator:
    """Handles to a started simulator; URLs are `http://host:port` with no path."""

    binance_url: str
    upbit_url: str
    control_token: str
    clock: SimulatorClock
    binance: VenueContext
    upbit: VenueContext

    def credentials(self) -> list[DemoCredential]:
        return [
            DemoCredential(name, a.api_key, a.secret)
            for name, ctx in (("binance", self.binance), ("upbit", self.upbit))
            for a in ctx.venue.accounts.values()
        ]

    def control(self, venue: str = "binance") -> SimulatorControl:
        """An HTTP client for /_sim on that venue's port (the clock is shared by both)."""
        url = self.binance_url if venue == "binance" else self.upbit_url
        return SimulatorControl(url, self.control_token)


def start_time(config: SimulatorConfig, wall_clock: Clock) -> datetime:
    """Market time starts at the configured moment or at the current minute."""
    if config.start is not None:
        return config.start.astimezone(UTC)
    return wall_clock.now().replace(second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class _Environment:
    config: SimulatorConfig
    clock: SimulatorClock
    wall_clock: Clock
    token: str


def build_contexts(
    config: SimulatorConfig,
    wall_clock: Clock,
    token: str,
    candle_sources: Mapping[str, Mapping[str, CandleSource]] | None = None,
) -> tuple[SimulatorClock, VenueContext, VenueContext]:
    clock = SimulatorClock(start_time(config, wall_clock), speed=config.speed)
    env = _Environment(config, clock, wall_clock, token)
    sources = candle_sources or {}
    unknown = set(sources) - {"binance", "upbit"}
    if unknown:
        raise ValueError(f"candle_sources keys must be 'binance' or 'upbit', not {sorted(unknown)}")
    binance = _context(env, "binance", config.binance, binance_rules, sources.get("binance"))
    upbit = _context(env, "upbit", config.upbit, upbit_rules, sources.get("upbit"))
    return clock, binance, upbit


def _context(
    env: _Environment,
    name: str,
    venue_config: VenueConfig,
    rules: RulesFor,
    sources: Mapping[str, CandleSource] | None,
) -> VenueContext:
    config, wall_clock, token = env.config, env.wall_clock, env.token
    venue = build_venue(name, venue_config, config, env.clock, rules, sources)
    ctx = VenueContext(
        venue=venue,
        wall_clock=wall_clock,
        control_token=token,
        faults=FaultBook(seed=config.seed),
    )
    for spec in venue_config.accounts:
        account = create_account(ctx, spec)
        ctx.initial_accounts.append(spec.model_copy(update={"secret": account.secret}))
    return ctx


@asynccontextmanager
async def run_simulator(
    config: SimulatorConfig | None = None,
    wall_clock: Clock | None = None,
    candle_sources: Mapping[str, Mapping[str, CandleSource]] | None = None,
) -> AsyncIterator[RunningSimulator]:
    """Serve both dialects on loopback until the block exits (port 0 = a free port).

    `candle_sources` plugs in other markets: {"binance": {"BTC/USDT": source}, "upbit": {...}},
    e.g. `SyntheticCandleFeed(...).source("BTC/USDT")` from `botfolio.market.synthetic`.
    """
    config = config or SimulatorConfig()
    token = config.control_token or secrets.token_urlsafe(24)
    clock, binance, upbit = build_contexts(
        config, wall_clock or SystemClock(), token, candle_sources
    )
    servers: list[_Served] = []
    try:
        servers.append(
            await _start(create_binance_app(binance), binance, config.host, config.binance.port)
        )
        servers.append(await _start(create_upbit_app(upbit), upbit, config.host, config.upbit.port))
        yield RunningSimulator(servers[0].url, servers[1].url, token, clock, binance, upbit)
    finally:
        await _stop(servers)


@dataclass(slots=True)
class _Served:
    server: uvicorn.Server
    task: asyncio.Task[None]
    sock: socket.socket
    url: str


async def _start(app: FastAPI, ctx: VenueContext, host: str, port: int) -> _Served:
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            http=ctx.connections.protocol_class(),
            lifespan="off",
            log_level="warning",
            access_log=False,
            log_config=None,  # keep the host process's logging (uvicorn's dictConfig replaces it)
            timeout_graceful_shutdown=1,
        )
    )
    served = _Served(server, asyncio.create_task(server.serve(sockets=[sock])), sock, "")
    while not server.started:
        if served.task.done():
            sock.close()
            served.task.result()
            raise RuntimeError("simulator server stopped while starting")
        await asyncio.sleep(0.005)
    served.url = f"http://{host}:{sock.getsockname()[1]}"
    return served


async def _stop(servers: list[_Served]) -> None:
    """Stop both servers together: each shutdown waits a few event-loop ticks."""
    for served in servers:
        served.server.should_exit = True
    await asyncio.gather(*(served.task for served in servers), return_exceptions=True)
    for served in servers:
        served.sock.close()
