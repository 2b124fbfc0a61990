"""Readiness when the database hangs instead of refusing, and the git commit behind /version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from botfolio.db.database import Database
from botfolio.ops import health


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A listener that accepts connections and never answers: a hung database server."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_readiness_when_database_hangs_is_not_ready_after_the_timeout(
    silent_port: int,
) -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{silent_port}/botfolio")
    try:
        readiness = await health.check_readiness(db, limit_seconds=0.5)
    finally:
        await db.dispose()

    assert readiness == health.Readiness(False, "database_timeout")
    assert REGISTRY.get_sample_value("botfolio_ready") == 0
    assert REGISTRY.get_sample_value("botfolio_database_up") == 0


def test_git_commit_when_env_var_set_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(health.GIT_COMMIT_ENV, "0123abc")

    assert health.git_commit() == "0123abc"


def test_git_head_when_branch_ref_is_packed_reads_packed_refs(tmp_path: Path) -> None:
    git_dir = tmp_path / ".git"
    git_dir.mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    (git_dir / "packed-refs").write_text(
        "# pack-refs with: peeled fully-peeled sorted\n" + "f" * 40 + " refs/heads/main\n"
    )

    assert health.read_git_head(git_dir) == "f" * 40


def test_git_head_when_detached_reads_the_sha(tmp_path: Path) -> None:
    git_dir = tmp_path / ".git"
    git_dir.mkdir()
    (git_dir / "HEAD").write_text("a" * 40 + "\n")

    assert health.read_git_head(git_dir) == "a" * 40
