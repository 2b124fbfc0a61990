"""Retention deletes only what is past the configured days, and the chain still verifies after."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from botfolio.audit.access import AccessLogRecord, record_access
from botfolio.audit.models import AuditCheckpoint, AuditEvent
from botfolio.audit.retention import PurgeReport, purge_expired
from botfolio.audit.verify import ProblemKind, verify_audit_chain
from botfolio.clock import ManualClock
from botfolio.config import RetentionSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError

from .chain_helpers import append_events, execute_sql

RETENTION = RetentionSettings()  # 3 years + 1 day for both


async def _ids(db: Database) -> list[int]:
    async with db.session() as session:
        return list((await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id))).all())


async def _purge(db: Database, clock: ManualClock, **options: Any) -> PurgeReport:
    async with db.transaction() as session:
        return await purge_expired(session, clock, RETENTION, **options)


async def _log_access(db: Database, at: datetime, request_id: str) -> None:
    async with db.transaction() as session:
        await record_access(
            session,
            occurred_at=at,
            request_id=request_id,
            actor_id=None,
            method="GET",
            path="/health",
            route="/health",
            status=200,
            latency_ms=1.5,
            source_ip="198.51.100.1",
            user_agent="probe",
        )


async def test_purge_when_oldest_events_expired_keeps_chain_verifiable(
    db: Database, clock: ManualClock
) -> None:
    start = clock.now()
    await append_events(db, clock, 6, step_days=200)  # days 0, 200, ..., 1000
    clock.set(start + timedelta(days=RETENTION.audit_days + 350))  # cut-off at day 350

    report = await _purge(db, clock, batch_size=2)
    verification = await verify_audit_chain(db)

    assert report.audit_events == 2  # days 0 and 200 are past 1096 days; day 400 is not
    assert report.through_id == 2
    assert await _ids(db) == [3, 4, 5, 6, 7]  # 7 is the audit.retention_purged event
    assert verification.ok, verification.problem
    assert verification.checkpoint_through_id == 2


async def test_purge_when_nothing_expired_deletes_nothing_and_still_audits(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 3, step_days=1)

    report = await _purge(db, clock)

    async with db.session() as session:
        purge_event = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "audit.retention_purged")
            )
        ).one()
    assert (report.audit_events, report.access_log_records) == (0, 0)
    assert await _ids(db) == [1, 2, 3, 4]
    assert purge_event.details["audit_events_deleted"] == 0
    assert (await verify_audit_chain(db)).ok


async def test_purge_never_deletes_events_or_access_records_younger_than_cutoff(
    db: Database, clock: ManualClock
) -> None:
    start = clock.now()
    cutoff_after_jump = start  # the clock jumps so that `start` is exactly the cut-off
    clock.set(start - timedelta(seconds=1))
    await append_events(db, clock, 1)  # 1 s older than the cut-off: expired
    clock.set(cutoff_after_jump)
    await append_events(db, clock, 1)  # exactly at the cut-off: kept
    clock.set(cutoff_after_jump + timedelta(microseconds=1))
    await append_events(db, clock, 1)  # just younger: kept
    await _log_access(db, cutoff_after_jump - timedelta(seconds=1), "old")
    await _log_access(db, cutoff_after_jump, "edge")
    await _log_access(db, cutoff_after_jump + timedelta(microseconds=1), "young")
    clock.set(start + timedelta(days=RETENTION.audit_days))

    report = await _purge(db, clock)

    async with db.session() as session:
        kept_requests = (await session.scalars(select(AccessLogRecord.request_id))).all()
    assert report.audit_events == 1
    assert report.access_log_records == 1
    assert await _ids(db) == [2, 3, 4]
    assert sorted(kept_requests) == ["edge", "young"]


async def test_purge_when_old_event_follows_younger_one_keeps_both(
    db: Database, clock: ManualClock
) -> None:
    """Writers with skewed clocks: only a contiguous run of old ids may go, so the chain holds."""
    start = clock.now()
    await append_events(db, clock, 1)  # old
    clock.set(start + timedelta(days=400))
    await append_events(db, clock, 1)  # young
    clock.set(start)
    await append_events(db, clock, 1)  # old again, after a young one
    clock.set(start + timedelta(days=RETENTION.audit_days + 1))

    report = await _purge(db, clock)

    assert report.audit_events == 1
    assert await _ids(db) == [2, 3, 4]
    assert (await verify_audit_chain(db)).ok


async def test_purge_when_run_twice_chains_checkpoints(db: Database, clock: ManualClock) -> None:
    await append_events(db, clock, 4, step_days=100)
    clock.advance(timedelta(days=RETENTION.audit_days))
    first = await _purge(db, clock)
    await append_events(db, clock, 2, step_days=100)
    clock.advance(timedelta(days=RETENTION.audit_days))

    second = await _purge(db, clock)
    verification = await verify_audit_chain(db)

    async with db.session() as session:
        checkpoints = await session.scalar(select(func.count()).select_from(AuditCheckpoint))
    assert first.audit_events == 4
    assert second.audit_events == 3  # the first purge's own event and the two appended after
    assert checkpoints == 2
    assert verification.ok, verification.problem
    assert verification.events_verified == 1


async def test_purge_when_dry_run_changes_nothing(db: Database, clock: ManualClock) -> None:
    await append_events(db, clock, 3)
    await _log_access(db, clock.now(), "r1")
    clock.advance(timedelta(days=RETENTION.audit_days + 1))

    report = await _purge(db, clock, dry_run=True)

    assert (report.audit_events, report.access_log_records, report.dry_run) == (3, 1, True)
    assert await _ids(db) == [1, 2, 3]
    assert (await verify_audit_chain(db)).checkpoint_through_id is None


async def test_verify_after_purge_when_middle_row_deleted_names_it(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 3, step_days=10)
    clock.advance(timedelta(days=RETENTION.audit_days))
    await append_events(db, clock, 5)
    await _purge(db, clock)
    await execute_sql(db, "DELETE FROM audit_events WHERE id = 6")

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.MISSING, 6)


async def test_verify_after_purge_when_next_oldest_deleted_names_it(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 2, step_days=10)
    clock.advance(timedelta(days=RETENTION.audit_days))
    await append_events(db, clock, 3)
    await _purge(db, clock)
    await execute_sql(db, "DELETE FROM audit_events WHERE id = 3")

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.MISSING, 3)


async def test_verify_when_checkpoint_forged_to_hide_deleted_oldest_rows_reports_it(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 5)
    async with db.session() as session:
        hash_of_2 = await session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 2))
    await execute_sql(db, "DELETE FROM audit_events WHERE id <= 2")
    await execute_sql(
        db,
        "INSERT INTO audit_checkpoints (through_id, through_hash, purged_at, events_deleted) "
        "VALUES (2, :h, :at, 2)",
        h=hash_of_2,
        at=clock.now().replace(tzinfo=None) if db.dialect == "sqlite" else clock.now(),
    )

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.UNCONFIRMED_CHECKPOINT, 2)


async def test_purge_when_settings_bypass_validation_refuses_short_retention(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 2)
    clock.advance(timedelta(days=400))
    short = RetentionSettings.model_construct(audit_days=365, access_log_days=3 * 365 + 1)

    with pytest.raises(ConfigurationError):
        async with db.transaction() as session:
            await purge_expired(session, clock, short)

    assert await _ids(db) == [1, 2]
