"""`botfolio demo`: the whole service in one process on SQLite under ./var: the exchange
simulator, a first model, a demo user with three bots, the API, a worker and the scheduler.

The demo is re-runnable: the schema is upgraded in place and the demo admin is created once;
its credentials are kept in `<data_dir>/demo-credentials.json` (mode 0600) for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import uvicorn
from rich.live import Live

from botfolio.api.app import create_app
from botfolio.api.server import ServeOptions, build_server
from botfolio.audit.service import Actor
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.cli import demo_market, demo_view
from botfolio.cli.common import console
from botfolio.cli.workers_cmd import build_job_registry, build_periodic_tasks
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.errors import NotFoundError
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.jobs.scheduler import Scheduler
from botfolio.jobs.worker import Worker
from botfolio.runtime import Runtime

Step = Callable[[], None]

DEMO_HOST = "127.0.0.1"
DEMO_ADMIN_EMAIL = "admin@demo.botfolio.invalid"
CREDENTIALS_FILE = "demo-credentials.json"
TRADER_CREDENTIALS_FILE = "demo-trader-credentials.json"
ROLE_STOP_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str


@dataclass(frozen=True)
class BackgroundRole:
    name: str
    run: Callable[[], Coroutine[Any, Any, None]]
    request_stop: Callable[[], None]


def prepare(settings: Settings) -> None:
    """Make ./var (or the configured data dir) and bring the schema to head."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database.url.get_secret_value())


async def run(
    settings: Settings,
    *,
    port: int,
    duration: float | None,
    before_stop: Callable[[RunningSimulator, Runtime], Awaitable[None]] | None = None,
) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal) or until `duration` seconds have passed.

    The simulator, the first model, the demo user and its three bots are set up first; the
    background roles get a runtime of their own (the API's is closed by its lifespan).
    `before_stop` sees the simulator and the state once the roles have stopped (tests).
    """
    options = ServeOptions(host=DEMO_HOST, port=port)
    console.print("starting the exchange simulator (real-time 1-minute candles)...")
    async with run_simulator(demo_market.simulator_config()) as sim:
        settings = demo_market.demo_settings(settings, sim)
        roles_runtime = Runtime.from_settings(settings)
        tasks: list[asyncio.Task[None]] = []
        roles: list[BackgroundRole] = []
        try:
            credentials = await ensure_demo_admin(roles_runtime, settings.data_dir)
            trader = await ensure_demo_trader(roles_runtime, settings.data_dir)
            console.print("training the first model on the simulator's candles (once)...")
            await demo_market.ensure_champion(roles_runtime)
            await demo_market.ensure_demo_bots(roles_runtime, trader[0])
            server = build_server(create_app(Runtime.from_settings(settings)), options)
            roles = background_roles(roles_runtime)
            tasks = [asyncio.create_task(role.run(), name=role.name) for role in roles]
            header = banner_text(options, credentials, trader[1], sim.binance_url)
            helpers = [_live_view(roles_runtime, server, header)]
            if duration is not None:
                helpers.append(_exit_after(server, duration))
            tasks += [asyncio.create_task(helper) for helper in helpers]
            await server.serve()
        finally:
            await _stop(roles, tasks)
            try:
                if before_stop is not None:
                    await before_stop(sim, roles_runtime)
            finally:
                await roles_runtime.close()


async def ensure_demo_trader(runtime: Runtime, data_dir: Path) -> tuple[str, DemoCredentials]:
    """The demo user owning the bots; its password is kept beside the admin's."""
    path = data_dir / TRADER_CREDENTIALS_FILE
    stored = _load_credentials(path) or DemoCredentials(
        demo_market.DEMO_USER_EMAIL, secrets.token_urlsafe(18)
    )
    user_id = await demo_market.ensure_demo_user(runtime, stored.password)
    _save_credentials(path, stored)
    return user_id, stored


def banner_text(
    options: ServeOptions,
    admin: DemoCredentials | None,
    trader: DemoCredentials,
    simulator_url: str,
) -> str:
    lines = [
        f"BotFolio demo: API at {options.base_url}  (OpenAPI: {options.base_url}/docs)",
        "running in this process: api, worker, scheduler, exchange simulator",
        f"exchange simulator (Binance dialect): {simulator_url}",
        f"demo user (owns the 3 bots): {trader.email} / {trader.password}",
    ]
    if admin is not None:
        lines.append(f"demo admin (enrolls TOTP at first login): {admin.email} / {admin.password}")
    lines.append("Ctrl-C stops the demo; the next run reuses ./var")
    return "\n".join(lines)


async def _live_view(runtime: Runtime, server: uvicorn.Server, header: str) -> None:
    """A live Rich view on a terminal; a summary line every 10 s otherwise (logs, CI)."""
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.1)
    console.print(header, highlight=False, markup=False, soft_wrap=True)
    if not console.is_terminal:
        while True:
            await asyncio.sleep(10)
            console.print(demo_view.summary_line(await demo_view.snapshot(runtime)))
    with Live(console=console, refresh_per_second=1, screen=False) as live:
        while True:
            live.update(demo_view.render(await demo_view.snapshot(runtime), header))
            await asyncio.sleep(2)


def background_roles(runtime: Runtime) -> list[BackgroundRole]:
    worker = Worker(runtime.db, build_job_registry(runtime), runtime.settings.jobs, runtime.clock)
    scheduler = Scheduler(
        runtime.db, build_periodic_tasks(runtime), runtime.settings.scheduler, runtime.clock
    )
    return [
        BackgroundRole("worker", worker.run, worker.request_stop),
        BackgroundRole("scheduler", scheduler.run, scheduler.request_stop),
    ]


async def _stop(roles: list[BackgroundRole], tasks: list[asyncio.Task[None]]) -> None:
    """Ask the roles to stop (running jobs finish or are released), then cancel what is left."""
    for role in roles:
        role.request_stop()
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=ROLE_STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _exit_after(server: uvicorn.Server, seconds: float) -> None:
    await asyncio.sleep(seconds)
    server.should_exit = True


async def ensure_demo_admin(runtime: Runtime, data_dir: Path) -> DemoCredentials | None:
    """Create the demo admin on the first run; later runs reuse it and its stored password.

    None when the account exists but its credentials file was deleted (reset it with
    `botfolio users`): a password is never recovered, only replaced.
    """
    path = data_dir / CREDENTIALS_FILE
    stored = _load_credentials(path)
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        try:
            await users.find_by_email(session, ctx, DEMO_ADMIN_EMAIL)
        except NotFoundError:
            password = stored.password if stored else secrets.token_urlsafe(18)
            await users.create_user(
                session,
                ctx,
                email=DEMO_ADMIN_EMAIL,
                role=Role.ADMIN,
                password=password,
                actor=Actor.system(),
            )
            stored = DemoCredentials(DEMO_ADMIN_EMAIL, password)
    if stored is not None:
        _save_credentials(path, stored)
    return stored


def _load_credentials(path: Path) -> DemoCredentials | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return DemoCredentials(email=data["email"], password=data["password"])


def _save_credentials(path: Path, credentials: DemoCredentials) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(credentials), handle)
