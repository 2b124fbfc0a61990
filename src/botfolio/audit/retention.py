"""Retention: delete audit events and access-log records older than the configured days.

Only the oldest audit events are ever deleted, as one contiguous run of ids starting at the
oldest row, and the purge records where it stopped (an `audit_checkpoints` row plus an
`audit.retention_purged` event that repeats the checkpoint inside the chain), so verification
afterwards starts from the checkpoint while a deletion anywhere else still shows as a gap.
An old event that sits after a younger one (clock skew between writers) waits for a later purge:
nothing younger than the cut-off is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.access import AccessLogRecord
from botfolio.audit.models import AuditCheckpoint, AuditEvent
from botfolio.audit.service import Actor, lock_chain, record_event
from botfolio.audit.verify import RETENTION_PURGED_ACTION
from botfolio.clock import Clock, ensure_utc
from botfolio.config import RetentionSettings
from botfolio.errors import ConfigurationError, ValidationFailedError

# Three years, one of them possibly a leap year; the settings refuse less, and so does the purge.
MINIMUM_RETENTION_DAYS = 3 * 365 + 1
DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class PurgeReport:
    audit_cutoff: datetime
    access_log_cutoff: datetime
    audit_events: int
    access_log_records: int
    through_id: int | None
    dry_run: bool


@dataclass(frozen=True)
class _AuditRange:
    first_id: int
    through_id: int
    through_hash: str


async def purge_expired(
    session: AsyncSession,
    clock: Clock,
    retention: RetentionSettings,
    *,
    actor: Actor | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete what is past retention, in the caller's transaction, and audit the purge itself.

    The access log goes first, before the chain lock is taken, so audited work elsewhere waits
    only for the audit part. `dry_run` counts what would go and changes nothing.
    """
    _check_retention(retention, batch_size)
    now = ensure_utc(clock.now())
    audit_cutoff = now - timedelta(days=retention.audit_days)
    access_cutoff = now - timedelta(days=retention.access_log_days)
    if dry_run:
        return await _dry_run(session, audit_cutoff, access_cutoff)
    access_deleted = await _purge_access_log(session, access_cutoff, batch_size)
    await lock_chain(session)
    expired = await _expired_audit_range(session, audit_cutoff)
    audit_deleted = 0
    if expired is not None:
        audit_deleted = await _delete_audit_range(session, expired, batch_size)
        await session.execute(
            insert(AuditCheckpoint).values(
                through_id=expired.through_id,
                through_hash=expired.through_hash,
                purged_at=now,
                events_deleted=audit_deleted,
            )
        )
    await record_event(
        session,
        clock,
        actor=actor or Actor.system(),
        action=RETENTION_PURGED_ACTION,
        target_type="audit",
        details={
            "audit_events_deleted": audit_deleted,
            "access_log_records_deleted": access_deleted,
            "through_id": expired.through_id if expired else None,
            "through_hash": expired.through_hash if expired else None,
            "audit_cutoff": audit_cutoff.isoformat(),
            "access_log_cutoff": access_cutoff.isoformat(),
        },
    )
    return PurgeReport(
        audit_cutoff=audit_cutoff,
        access_log_cutoff=access_cutoff,
        audit_events=audit_deleted,
        access_log_records=access_deleted,
        through_id=expired.through_id if expired else None,
        dry_run=False,
    )


def _check_retention(retention: RetentionSettings, batch_size: int) -> None:
    """The settings model already refuses short retention; this guards hand-built settings too."""
    for name in ("audit_days", "access_log_days"):
        days = getattr(retention, name)
        if days < MINIMUM_RETENTION_DAYS:
            raise ConfigurationError(
                f"retention.{name} is {days}; the minimum is {MINIMUM_RETENTION_DAYS} (3 years)"
            )
    if batch_size < 1:
        raise ValidationFailedError("batch_size must be at least 1")


async def _dry_run(
    session: AsyncSession, audit_cutoff: datetime, access_cutoff: datetime
) -> PurgeReport:
    expired = await _expired_audit_range(session, audit_cutoff)
    audit_count = 0
    if expired is not None:
        audit_count = await _count_audit_range(session, expired)
    access_count = await session.scalar(
        select(func.count())
        .select_from(AccessLogRecord)
        .where(AccessLogRecord.occurred_at < access_cutoff)
    )
    return PurgeReport(
        audit_cutoff=audit_cutoff,
        access_log_cutoff=access_cutoff,
        audit_events=audit_count,
        access_log_records=int(access_count or 0),
        through_id=expired.through_id if expired else None,
        dry_run=True,
    )


async def _purge_access_log(session: AsyncSession, cutoff: datetime, batch_size: int) -> int:
    deleted = 0
    while True:
        oldest = (
            select(AccessLogRecord.id)
            .where(AccessLogRecord.occurred_at < cutoff)
            .order_by(AccessLogRecord.id)
            .limit(batch_size)
        )
        statement = delete(AccessLogRecord).where(AccessLogRecord.id.in_(oldest.scalar_subquery()))
        count = await _execute_delete(session, statement)
        deleted += count
        if count < batch_size:
            return deleted


async def _expired_audit_range(session: AsyncSession, cutoff: datetime) -> _AuditRange | None:
    """The run of oldest ids that are all older than the cut-off, or None when there is none."""
    first_id = await session.scalar(select(func.min(AuditEvent.id)))
    if first_id is None:
        return None
    first_young = await session.scalar(
        select(func.min(AuditEvent.id)).where(AuditEvent.occurred_at >= cutoff)
    )
    if first_young is None:
        through_limit = int(await session.scalar(select(func.max(AuditEvent.id))) or first_id)
    else:
        through_limit = int(first_young) - 1
    through = (
        await session.execute(
            select(AuditEvent.id, AuditEvent.hash)
            .where(AuditEvent.id <= through_limit)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    ).first()
    if through is None:
        return None
    return _AuditRange(int(first_id), int(through.id), str(through.hash))


async def _count_audit_range(session: AsyncSession, expired: _AuditRange) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.id >= expired.first_id, AuditEvent.id <= expired.through_id)
    )
    return int(count or 0)


async def _delete_audit_range(session: AsyncSession, expired: _AuditRange, batch_size: int) -> int:
    deleted = 0
    low = expired.first_id - 1
    while low < expired.through_id:
        high = min(low + batch_size, expired.through_id)
        statement = delete(AuditEvent).where(AuditEvent.id > low, AuditEvent.id <= high)
        deleted += await _execute_delete(session, statement)
        low = high
    return deleted


async def _execute_delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)
