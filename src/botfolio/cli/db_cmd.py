"""`botfolio db upgrade | current`: apply Alembic migrations and show where the schema stands."""

from __future__ import annotations

import typer

from botfolio.cli.common import console, load_settings, run_with_runtime
from botfolio.db import migrate
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Upgrade the database schema (creates the SQLite file when needed)."""
    settings = load_settings()
    migrate.upgrade(settings.database.url.get_secret_value(), revision)
    console.print(f"schema upgraded to {revision} ({migrate.head_revision()})")


@app.command("current")
def current() -> None:
    """Print the schema revision and whether it is the newest."""

    async def _current(runtime: Runtime) -> None:
        revision = await migrate.current_revision(runtime.db)
        head = migrate.head_revision()
        state = "up to date" if revision == head else f"behind head {head}"
        console.print(f"revision {revision or 'none'} ({state})")

    run_with_runtime(_current)
