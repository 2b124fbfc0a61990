"""`botfolio audit ...` as an operator runs it, against the test database.

One test starts the real `botfolio` executable; the others use Typer's runner in-process, because
each start of the CLI imports every command group (seconds on a shared machine).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from botfolio.cli.main import app
from botfolio.clock import ManualClock
from botfolio.config import get_settings
from botfolio.db import migrate
from botfolio.db.database import Database

from .chain_helpers import append_events, execute_sql

BOTFOLIO = str(Path(sys.executable).with_name("botfolio"))


def _env(db_url: str) -> dict[str, str]:
    return {"BOTFOLIO_DATABASE__URL": db_url, "BOTFOLIO_LOG__LEVEL": "WARNING", "COLUMNS": "200"}


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The development key ring lands in ./var of a scratch directory; settings are re-read."""
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _invoke(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args], env=_env(db_url))


async def _setup(db_url: str, events: int, *tamper_sql: str) -> None:
    db = Database(db_url)
    try:
        await append_events(db, ManualClock(), events)
        for sql in tamper_sql:
            await execute_sql(db, sql)
    finally:
        await db.dispose()


def test_audit_verify_cli_when_clean_prints_ok_and_head(db_url: str, in_tmp_dir: Path) -> None:
    asyncio.run(_setup(db_url, 5))

    result = _invoke(db_url, "verify")

    assert result.exit_code == 0, result.output
    assert "ok: 5 events verified" in result.output
    assert "head 5:" in result.output


def test_audit_verify_cli_when_row_deleted_exits_nonzero_naming_id(
    db_url: str, in_tmp_dir: Path
) -> None:
    asyncio.run(_setup(db_url, 6, "DELETE FROM audit_events WHERE id = 4"))

    result = _invoke(db_url, "verify")

    assert result.exit_code == 1
    assert "event 4" in result.output
    assert "missing" in result.output


@pytest.mark.slow
def test_audit_verify_executable_when_row_tampered_exits_nonzero_naming_id(tmp_path: Path) -> None:
    """The installed `botfolio` entry point, as an operator or a cron job runs it.

    Once, on a SQLite database of its own: starting the CLI costs seconds, and both backends are
    covered in-process above.
    """
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"
    migrate.upgrade(db_url)
    asyncio.run(_setup(db_url, 5, "UPDATE audit_events SET actor_id = 'someone-else' WHERE id = 3"))

    result = subprocess.run(
        [BOTFOLIO, "audit", "verify"],
        env={**os.environ, **_env(db_url)},
        cwd=tmp_path,  # the development key ring is created under ./var here
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "event 3" in result.stderr
    assert "ok:" not in result.stdout


def test_audit_verify_cli_when_bad_anchor_is_usage_error(db_url: str, in_tmp_dir: Path) -> None:
    result = _invoke(db_url, "verify", "--anchor", "not-an-anchor")

    assert result.exit_code == 2


def test_audit_list_cli_when_filtered_by_action_shows_only_matches(
    db_url: str, in_tmp_dir: Path
) -> None:
    asyncio.run(_setup(db_url, 4))

    result = _invoke(db_url, "list", "--action", "bot.updated", "--since", "2025-12-31")

    assert result.exit_code == 0, result.output
    assert "bot.updated" in result.output
    assert "user.logged_in" not in result.output


def test_audit_purge_cli_when_dry_run_then_real_reports_counts(
    db_url: str, in_tmp_dir: Path
) -> None:
    asyncio.run(_setup(db_url, 2))

    dry = _invoke(db_url, "purge", "--dry-run")
    real = _invoke(db_url, "purge")
    verify = _invoke(db_url, "verify")

    assert dry.exit_code == 0, dry.output
    assert "would delete 0 audit events" in dry.output
    assert real.exit_code == 0, real.output
    assert "deleted 0 audit events" in real.output
    assert "ok: 3 events verified" in verify.output  # two events and the purge's own
