"""`botfolio db upgrade | current`: apply Alembic migrations and show where the schema stands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer

from botfolio.cli.common import console, err_console, load_settings, run_with_runtime
from botfolio.db import migrate
from botfolio.logs import mask_url_passwords
from botfolio.ops.db_errors import is_database_unavailable
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

T = TypeVar("T")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Upgrade the database schema (creates the SQLite file when needed)."""
    settings = load_settings()
    url = settings.database.url.get_secret_value()
    _exit_if_unreachable(lambda: migrate.upgrade(url, revision))
    console.print(f"schema upgraded to {revision} ({migrate.head_revision()})")


@app.command("current")
def current() -> None:
    """Print the schema revision and whether it is the newest."""

    async def _current(runtime: Runtime) -> None:
        revision = await migrate.current_revision(runtime.db)
        head = migrate.head_revision()
        state = "up to date" if revision == head else f"behind head {head}"
        console.print(f"revision {revision or 'none'} ({state})")

    _exit_if_unreachable(lambda: run_with_runtime(_current))


def _exit_if_unreachable(step: Callable[[], T]) -> T:
    """An unreachable database is an operator's everyday problem: one clear line, exit 1."""
    try:
        return step()
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        reason = mask_url_passwords(f"{type(exc).__name__}: {exc}")
        err_console.print(f"[red]error:[/red] the database is unreachable ({reason})")
        raise typer.Exit(1) from exc
