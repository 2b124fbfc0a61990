"""Readiness (database reachable, schema at head) and build facts (version, git commit)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from botfolio import __version__
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.logs import get_logger
from botfolio.ops.db_errors import is_database_unavailable
from botfolio.ops.metrics import BUILD_INFO, DATABASE_UP, READY

READINESS_TIMEOUT_SECONDS = 3.0
GIT_COMMIT_ENV = "BOTFOLIO_GIT_COMMIT"

log = get_logger(__name__)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None = None


async def check_readiness(
    db: Database, limit_seconds: float = READINESS_TIMEOUT_SECONDS
) -> Readiness:
    """Never raises: an unreachable or slow database is a reason, not an exception."""
    try:
        async with asyncio.timeout(limit_seconds):
            current = await migrate.schema_is_current(db)
    except TimeoutError:
        result = Readiness(False, "database_timeout")
    except Exception as exc:
        if not is_database_unavailable(exc):
            log.error("readiness.check_failed", exc_info=exc)
        result = Readiness(False, "database_unavailable")
    else:
        result = Readiness(True) if current else Readiness(False, "schema_not_at_head")
    DATABASE_UP.set(0 if result.reason in {"database_timeout", "database_unavailable"} else 1)
    READY.set(1 if result.ready else 0)
    return result


@dataclass(frozen=True)
class BuildFacts:
    version: str
    git_commit: str | None
    schema_head: str | None


@lru_cache(maxsize=1)
def build_facts() -> BuildFacts:
    facts = BuildFacts(__version__, git_commit(), migrate.head_revision())
    BUILD_INFO.info(
        {
            "version": facts.version,
            "git_commit": facts.git_commit or "unknown",
            "schema_head": facts.schema_head or "none",
        }
    )
    return facts


def git_commit() -> str | None:
    """From the deploy (env var) or, in a checkout, from .git itself: no subprocess needed."""
    from_env = os.environ.get(GIT_COMMIT_ENV, "").strip()
    if from_env:
        return from_env
    for parent in Path(__file__).resolve().parents:
        git_dir = parent / ".git"
        if git_dir.is_dir():
            return read_git_head(git_dir)
    return None


def read_git_head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head or None
        ref = head.removeprefix("ref: ")
        ref_file = git_dir / ref
        if ref_file.is_file():
            return ref_file.read_text(encoding="utf-8").strip() or None
        return _packed_ref(git_dir, ref)
    except OSError:
        return None


def _packed_ref(git_dir: Path, ref: str) -> str | None:
    packed = git_dir / "packed-refs"
    if not packed.is_file():
        return None
    for line in packed.read_text(encoding="utf-8").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None
