"""Appends from many concurrent transactions serialise: the chain never forks."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor, record_event
from botfolio.audit.verify import verify_audit_chain
from botfolio.clock import ManualClock
from botfolio.db.database import Database

WRITERS = 20


async def _append_in_own_transaction(db: Database, clock: ManualClock, number: int) -> None:
    async with db.transaction() as session:
        await record_event(
            session,
            clock,
            actor=Actor(user_id=f"user-{number}"),
            action="bot.started",
            target_type="bot",
            target_id=f"bot-{number}",
            details={"writer": number},
        )


async def test_record_event_when_appended_concurrently_keeps_one_valid_chain(
    db: Database, clock: ManualClock
) -> None:
    await asyncio.gather(*(_append_in_own_transaction(db, clock, n) for n in range(WRITERS)))

    async with db.session() as session:
        rows = (await session.execute(select(AuditEvent.id, AuditEvent.prev_hash))).all()
    report = await verify_audit_chain(db)

    assert sorted(row.id for row in rows) == list(range(1, WRITERS + 1))
    assert len({row.prev_hash for row in rows}) == WRITERS  # no two events share a parent
    assert report.ok, report.problem
    assert report.events_verified == WRITERS
