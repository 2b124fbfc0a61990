"""The scheduler: whoever holds the leader lease enqueues periodic work; standbys wait to take over.

Each periodic task runs once per time slot (epoch-aligned multiples of its interval) and enqueues
jobs with an idempotency key `<task name>:<slot>`, so a new leader that re-runs the current slot
after a takeover adds nothing twice. Missed slots are not replayed: a task enqueues "what is due
now", never a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.config import SchedulerSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError, LeaseLostError
from botfolio.jobs.lease import acquire_or_renew, assert_fencing, release_lease
from botfolio.jobs.metrics import SCHEDULER_IS_LEADER
from botfolio.jobs.registry import validate_kind
from botfolio.jobs.runner import DB_ERRORS, describe_error
from botfolio.jobs.service import enqueue
from botfolio.logs import get_logger

log = get_logger(__name__)

DEFAULT_LEASE_NAME = "scheduler"
HOLDER_MAX_LENGTH = 200  # scheduler_leases.holder
LEASE_NAME_MAX = 100  # scheduler_leases.name
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TaskContext:
    """Given to a periodic task for one slot; its writes go through `fenced_transaction()`."""

    task_name: str
    slot: datetime
    lease_name: str
    fencing_token: int
    db: Database
    clock: Clock

    @property
    def idempotency_key(self) -> str:
        return f"{self.task_name}:{self.slot.isoformat()}"

    @asynccontextmanager
    async def fenced_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that first proves we still lead; a deposed leader gets LeaseLostError."""
        async with self.db.transaction() as session:
            await assert_fencing(session, self.lease_name, self.fencing_token)
            yield session


PeriodicTaskFn = Callable[[TaskContext], Awaitable[None]]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval: timedelta
    run: PeriodicTaskFn


def slot_start(now: datetime, interval: timedelta) -> datetime:
    """The start of the epoch-aligned slot containing `now`: every replica computes the same."""
    step = int(interval.total_seconds() * 1_000_000)
    elapsed = (now - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=elapsed - elapsed % step)


class PeriodicTaskRegistry:
    """Named periodic tasks. Tasks must be quick (enqueue work, do not do it) and idempotent."""

    def __init__(self) -> None:
        self._tasks: dict[str, PeriodicTask] = {}

    def register(self, name: str, interval_seconds: float, run: PeriodicTaskFn) -> None:
        validate_kind(name)
        if interval_seconds < 0.001:
            raise ConfigurationError(f"periodic task {name!r} needs an interval of at least 1 ms")
        if name in self._tasks:
            raise ConfigurationError(f"periodic task {name!r} is already registered")
        self._tasks[name] = PeriodicTask(name, timedelta(seconds=interval_seconds), run)

    def enqueue_every(
        self,
        name: str,
        interval_seconds: float,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> None:
        """The common case: enqueue one `kind` job per slot with key `<name>:<slot>`."""
        validate_kind(kind)
        body = dict(payload or {})

        async def run(ctx: TaskContext) -> None:
            async with ctx.fenced_transaction() as session:
                await enqueue(
                    session,
                    kind,
                    {**body, "slot": ctx.slot.isoformat()},
                    idempotency_key=ctx.idempotency_key,
                    max_attempts=max_attempts,
                    clock=ctx.clock,
                )

        self.register(name, interval_seconds, run)

    def tasks(self) -> tuple[PeriodicTask, ...]:
        return tuple(self._tasks[name] for name in sorted(self._tasks))


def default_holder_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Scheduler:
    """One per scheduler process. `run()` renews or seeks the lease every renew interval and,
    while leading, runs the tasks whose current slot has not run yet."""

    def __init__(
        self,
        db: Database,
        tasks: PeriodicTaskRegistry,
        settings: SchedulerSettings,
        clock: Clock,
        *,
        holder_id: str | None = None,
        lease_name: str = DEFAULT_LEASE_NAME,
    ) -> None:
        if settings.renew_interval_seconds >= settings.lease_ttl_seconds:
            raise ConfigurationError("scheduler renew interval must be shorter than the lease TTL")
        self.holder_id = holder_id or default_holder_id()
        if len(self.holder_id) > HOLDER_MAX_LENGTH or not 0 < len(lease_name) <= LEASE_NAME_MAX:
            raise ConfigurationError(
                f"holder id must be at most {HOLDER_MAX_LENGTH} characters and the lease name "
                f"1..{LEASE_NAME_MAX}"
            )
        self.lease_name = lease_name
        self._db = db
        self._tasks = tasks
        self._settings = settings
        self._clock = clock
        self._token: int | None = None
        self._held_until: datetime | None = None
        self._last_slot: dict[str, datetime] = {}
        self._stop = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._token is not None

    @property
    def fencing_token(self) -> int | None:
        return self._token

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        log.info("scheduler.started", holder=self.holder_id, lease=self.lease_name)
        loop = asyncio.get_running_loop()
        try:
            while not self._stop.is_set():
                began = loop.time()
                await self.tick()
                pause = self._settings.renew_interval_seconds - (loop.time() - began)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), max(0.0, pause))
        finally:
            await self._step_down_cleanly()

    async def tick(self) -> None:
        """Renew or seek the lease once; if leading, run due tasks. Tests drive this directly."""
        now = self._clock.now()
        try:
            async with self._db.transaction() as session:
                grant = await acquire_or_renew(
                    session,
                    self.lease_name,
                    self.holder_id,
                    ttl_seconds=self._settings.lease_ttl_seconds,
                    now=now,
                )
        except DB_ERRORS as exc:
            log.warning("scheduler.renew_failed", holder=self.holder_id, error=describe_error(exc))
            if self._held_until is not None and now >= self._held_until:
                self._step_down("lease expired while the database was unreachable")
            return
        if grant is None:
            if self.is_leader:
                self._step_down("another holder has the lease")
            return
        if grant.fencing_token != self._token:
            log.info(
                "scheduler.lease_acquired",
                holder=self.holder_id,
                lease=self.lease_name,
                fencing_token=grant.fencing_token,
            )
            self._last_slot.clear()
        self._token = grant.fencing_token
        self._held_until = grant.expires_at
        SCHEDULER_IS_LEADER.labels(self.lease_name).set(1)
        await self._run_due_tasks(now, grant.fencing_token)

    async def _run_due_tasks(self, now: datetime, token: int) -> None:
        for task in self._tasks.tasks():
            slot = slot_start(now, task.interval)
            if self._last_slot.get(task.name) == slot:
                continue
            context = TaskContext(task.name, slot, self.lease_name, token, self._db, self._clock)
            try:
                await task.run(context)
            except LeaseLostError as exc:
                self._step_down(exc.message)
                return
            except Exception as exc:  # one failing task must not stop the others
                log.error(
                    "scheduler.task_failed", task=task.name, slot=slot.isoformat(), exc_info=exc
                )
                continue
            self._last_slot[task.name] = slot
            log.debug("scheduler.task_ran", task=task.name, slot=slot.isoformat())

    def _step_down(self, reason: str) -> None:
        log.warning(
            "scheduler.lease_lost",
            holder=self.holder_id,
            lease=self.lease_name,
            fencing_token=self._token,
            reason=reason,
        )
        self._token = None
        self._held_until = None
        SCHEDULER_IS_LEADER.labels(self.lease_name).set(0)

    async def _step_down_cleanly(self) -> None:
        """On shutdown hand the lease over at once instead of making standbys wait a TTL."""
        if self.is_leader:
            try:
                async with self._db.transaction() as session:
                    await release_lease(
                        session, self.lease_name, self.holder_id, now=self._clock.now()
                    )
            except DB_ERRORS as exc:
                log.warning("scheduler.release_failed", error=describe_error(exc))
            self._token = None
            SCHEDULER_IS_LEADER.labels(self.lease_name).set(0)
        log.info("scheduler.stopped", holder=self.holder_id)
