"""The `jobs` table (durable work with leases) and the `scheduler_leases` table (leader election)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class JobState(StrEnum):
    """queued -> running -> succeeded | queued (retry) | dead (dead-letter, kept for operators)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


JOB_STATES = tuple(state.value for state in JobState)


class Job(Base):
    """One unit of durable work, written in the transaction of the change that caused it.

    `max_attempts` NULL means "the worker's configured default" (settings.jobs.max_attempts), so an
    operator can tune retries without rewriting queued rows. `lease_owner` + `attempts` identify
    one claim: every write a worker makes about a job it runs is guarded by both. Among due jobs
    the lowest `priority` runs first (0 by default, negative to jump the queue), matching the
    claim index (state, priority, run_after).
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    run_after: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'dead')",
            name="state",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_jobs_state_priority_run_after", "state", "priority", "run_after"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
        Index("ix_jobs_state_lease_expires_at", "state", "lease_expires_at"),
        Index("ix_jobs_kind_state", "kind", "state"),
    )


class SchedulerLease(Base):
    """A named leader lease. `fencing_token` grows on every change of holder, never goes back."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    fencing_token: Mapped[int] = mapped_column(BigInteger)
    acquired_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
