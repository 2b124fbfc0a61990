"""Verification names the first edited, unlinked or missing audit event, and passes clean chains."""

from __future__ import annotations

from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.audit.verify import ChainAnchor, ProblemKind, verify_audit_chain, verify_chain
from botfolio.clock import ManualClock
from botfolio.db.database import Database

from .chain_helpers import append_events, execute_sql


async def test_verify_when_chain_untouched_reports_every_event(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 7)

    report = await verify_audit_chain(db, batch_size=3)

    assert report.ok, report.problem
    assert report.events_verified == 7
    assert report.last_id == 7


async def test_verify_when_chain_empty_is_ok(db: Database) -> None:
    report = await verify_audit_chain(db)

    assert report.ok
    assert report.events_verified == 0


async def test_verify_when_row_edited_names_that_id(db: Database, clock: ManualClock) -> None:
    await append_events(db, clock, 10)
    await execute_sql(db, "UPDATE audit_events SET action = 'bot.deleted' WHERE id = 6")

    report = await verify_audit_chain(db, batch_size=4)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.ALTERED, 6)
    assert report.events_verified == 5


async def test_verify_when_details_edited_names_that_id(db: Database, clock: ManualClock) -> None:
    await append_events(db, clock, 4)
    await execute_sql(
        db, "UPDATE audit_events SET details = :d WHERE id = 2", d='{"number": 99, "reason": "x"}'
    )

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.ALTERED, 2)


async def test_verify_when_middle_row_deleted_names_missing_id(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 10)
    await execute_sql(db, "DELETE FROM audit_events WHERE id = 5")

    report = await verify_audit_chain(db, batch_size=4)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.MISSING, 5)


async def test_verify_when_first_row_deleted_names_id_one(db: Database, clock: ManualClock) -> None:
    await append_events(db, clock, 3)
    await execute_sql(db, "DELETE FROM audit_events WHERE id = 1")

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.MISSING, 1)


async def test_verify_when_prev_hash_changed_names_that_id(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 6)
    await execute_sql(db, "UPDATE audit_events SET prev_hash = :h WHERE id = 4", h="ab" * 32)

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.BROKEN_LINK, 4)


async def test_verify_when_row_rehashed_after_edit_names_next_link(
    db: Database, clock: ManualClock
) -> None:
    """An attacker who recomputes the edited row's hash still breaks the next row's link."""
    await append_events(db, clock, 5)
    await execute_sql(db, "UPDATE audit_events SET hash = :h WHERE id = 3", h="cd" * 32)

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert report.problem.event_id == 3


async def test_verify_when_tail_deleted_reports_truncation(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 8)
    await execute_sql(db, "DELETE FROM audit_events WHERE id >= 7")

    report = await verify_audit_chain(db)

    assert report.problem is not None
    assert (report.problem.kind, report.problem.event_id) == (ProblemKind.TRUNCATED, 7)


async def test_verify_when_anchor_still_in_chain_passes_and_when_rewritten_fails(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 4)
    async with db.session() as session:
        kept = (
            await session.execute(select(AuditEvent.id, AuditEvent.hash).where(AuditEvent.id == 3))
        ).one()
    anchor = ChainAnchor(kept.id, kept.hash)

    clean = await verify_audit_chain(db, anchor=anchor)
    await execute_sql(db, "DELETE FROM audit_events")
    await execute_sql(db, "DELETE FROM audit_chain_head")
    await append_events(db, clock, 4)  # a whole new, self-consistent chain
    rewritten = await verify_audit_chain(db, anchor=anchor)

    assert clean.ok
    assert rewritten.problem is not None
    assert (rewritten.problem.kind, rewritten.problem.event_id) == (ProblemKind.ANCHOR_MISMATCH, 3)


async def test_verify_chain_in_caller_session_matches_snapshot_variant(
    db: Database, clock: ManualClock
) -> None:
    await append_events(db, clock, 3)

    async with db.session() as session:
        report = await verify_chain(session, batch_size=1)

    assert report.ok
    assert report.events_verified == 3
