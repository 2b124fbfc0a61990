"""`botfolio demo`: the API and every background role that exists, in one process, on SQLite.

The demo is re-runnable: the schema is upgraded in place and the demo admin is created once;
its credentials are kept in `<data_dir>/demo-credentials.json` (mode 0600) for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botfolio.api.app import create_app
from botfolio.api.server import ServeOptions, build_server
from botfolio.cli.common import console
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.runtime import Runtime

Step = Callable[[], None]
BackgroundRole = Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]

DEMO_HOST = "127.0.0.1"
CREDENTIALS_FILE = "demo-credentials.json"


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str


def prepare(settings: Settings) -> None:
    """Make ./var (or the configured data dir) and bring the schema to head."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database.url.get_secret_value())


async def run(settings: Settings, *, port: int, duration: float | None) -> None:
    """Serve until Ctrl-C (uvicorn handles the signal) or until `duration` seconds have passed."""
    options = ServeOptions(host=DEMO_HOST, port=port)
    background_runtime = Runtime.from_settings(settings)
    credentials = await ensure_demo_admin(background_runtime, settings.data_dir)
    server = build_server(create_app(Runtime.from_settings(settings)), options)
    stop = asyncio.Event()
    roles = background_roles()
    tasks: list[asyncio.Task[None]] = [
        asyncio.create_task(role(background_runtime, stop)) for role in roles.values()
    ]
    if duration is not None:
        tasks.append(asyncio.create_task(_exit_after(server, duration)))
    print_banner(options, credentials, tuple(roles))
    try:
        await server.serve()
    finally:
        stop.set()
        await _finish(tasks)
        await background_runtime.close()


async def _exit_after(server: Any, seconds: float) -> None:
    await asyncio.sleep(seconds)
    server.should_exit = True


async def _finish(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def print_banner(
    options: ServeOptions, credentials: DemoCredentials | None, roles: tuple[str, ...]
) -> None:
    console.print(f"BotFolio demo: API at {options.base_url}  (OpenAPI: {options.base_url}/docs)")
    if credentials is None:
        console.print("user accounts are not part of this build yet: no demo login")
    else:
        console.print(f"demo admin: {credentials.email} / {credentials.password}")
    console.print(f"background roles: {', '.join(roles) or 'none in this build yet'}")
    console.print("press Ctrl-C to stop")


async def ensure_demo_admin(runtime: Runtime, data_dir: Path) -> DemoCredentials | None:
    """Create the demo admin once (when the users service exists); later runs reuse it."""
    create = _optional_attribute("botfolio.auth.demo", "ensure_demo_admin")
    if create is None:
        return None
    stored = _load_credentials(data_dir / CREDENTIALS_FILE)
    credentials: DemoCredentials = await create(runtime, stored)
    _save_credentials(data_dir / CREDENTIALS_FILE, credentials)
    return credentials


def background_roles() -> dict[str, BackgroundRole]:
    """The worker and the scheduler, when the jobs work provides their entry points."""
    found = {
        "worker": _optional_attribute("botfolio.jobs.worker", "run_worker"),
        "scheduler": _optional_attribute("botfolio.jobs.scheduler", "run_scheduler"),
    }
    return {name: role for name, role in found.items() if role is not None}


def _optional_attribute(module_name: str, attribute: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, attribute, None)


def _load_credentials(path: Path) -> DemoCredentials | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return DemoCredentials(email=data["email"], password=data["password"])


def _save_credentials(path: Path, credentials: DemoCredentials) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(credentials), handle)
