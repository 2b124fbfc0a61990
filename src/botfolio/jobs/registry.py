"""Which async handler runs each job kind, and what a handler is given when it runs."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError, ValidationFailedError

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
KIND_MAX_LENGTH = 100


@dataclass(frozen=True)
class JobContext:
    """What a running handler may use. Handlers open their own short transactions on `db`.

    A handler never runs inside the worker's transaction: it may call slow venues, and an open
    transaction (SQLite's write lock in particular) would stall every other worker meanwhile.
    """

    job_id: str
    kind: str
    attempt: int
    max_attempts: int
    worker_id: str
    db: Database
    clock: Clock


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


def validate_kind(kind: str) -> str:
    """Kinds are dotted lower-case names (`bot.tick`), so logs, metrics and CLI filters agree."""
    if len(kind) > KIND_MAX_LENGTH or not KIND_PATTERN.match(kind):
        raise ValidationFailedError(
            f"job kind {kind!r} must be dotted lower-case words, at most {KIND_MAX_LENGTH} chars",
            kind=kind,
        )
    return kind


class JobRegistry:
    """Maps job kind -> handler. Handlers must be idempotent: a job can run more than once.

    A worker only claims the kinds its registry knows, so a worker of an older release never
    picks up a kind it cannot run during a rolling deploy.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}

    def register(self, kind: str, handler: JobHandler) -> None:
        validate_kind(kind)
        if kind in self._handlers:
            raise ConfigurationError(f"job kind {kind!r} already has a handler", kind=kind)
        self._handlers[kind] = handler

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Decorator form of `register`."""

        def decorate(func: JobHandler) -> JobHandler:
            self.register(kind, func)
            return func

        return decorate

    def get(self, kind: str) -> JobHandler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise ConfigurationError(f"no handler for job kind {kind!r}", kind=kind) from None

    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._handlers))

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)
