"""Appends link to the tip this process remembers only while the database agrees it is the tip."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from botfolio.audit.models import AuditChainHead, AuditEvent
from botfolio.audit.service import Actor, record_event
from botfolio.audit.verify import verify_audit_chain
from botfolio.clock import ManualClock
from botfolio.db.database import Database


@pytest.fixture
async def other_process(db: Database) -> AsyncIterator[Database]:
    """A second engine on the same database: what another worker process looks like."""
    other = Database(db.url)
    yield other
    await other.dispose()


async def _append(db: Database, clock: ManualClock, action: str) -> None:
    async with db.transaction() as session:
        await record_event(session, clock, actor=Actor.system(), action=action)
    clock.advance(1)


async def _links(db: Database) -> list[tuple[int, str, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.id)
        )
        return [(row.id, row.prev_hash, row.hash) for row in rows]


async def test_record_event_when_another_process_appended_links_to_its_event(
    db: Database, other_process: Database, clock: ManualClock
) -> None:
    await _append(db, clock, "first")
    await _append(other_process, clock, "second")  # our remembered tip is now stale

    await _append(db, clock, "third")

    links = await _links(db)
    assert [link[0] for link in links] == [1, 2, 3]
    assert links[2][1] == links[1][2]
    report = await verify_audit_chain(db)
    assert report.ok, report.problem


async def test_record_event_after_rolled_back_append_links_to_committed_tip(
    db: Database, clock: ManualClock
) -> None:
    await _append(db, clock, "kept")
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await record_event(session, clock, actor=Actor.system(), action="rolled.back")
            raise RuntimeError("the change this event recorded failed")

    await _append(db, clock, "after")

    links = await _links(db)
    assert [link[0] for link in links] == [1, 2]
    assert links[1][1] == links[0][2]
    async with db.session() as session:
        head = (await session.execute(select(AuditChainHead))).scalar_one()
    assert (head.last_id, head.last_hash) == (2, links[1][2])
    report = await verify_audit_chain(db)
    assert report.ok, report.problem


async def test_record_event_when_remembered_tip_is_current_moves_head_with_it(
    db: Database, clock: ManualClock
) -> None:
    for number in range(5):
        await _append(db, clock, f"event.{number}")

    links = await _links(db)
    assert [link[0] for link in links] == [1, 2, 3, 4, 5]
    assert all(links[n][1] == links[n - 1][2] for n in range(1, 5))
    report = await verify_audit_chain(db)
    assert report.ok, report.problem
    assert report.events_verified == 5
