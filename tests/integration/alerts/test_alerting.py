"""Operator alerts on a real database: grouping, paging, escalation, acknowledgement, rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from botfolio.alerts import rota, service
from botfolio.alerts.models import Alert
from botfolio.alerts.paging import process_due_alerts, send_info_digest
from botfolio.alerts.rules import evaluate_rules
from botfolio.alerts.settings import AlertSettings
from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.jobs.models import Job
from botfolio.jobs.service import enqueue
from botfolio.notifications.models import Notification

PRIMARY, SECONDARY = "user-primary", "user-secondary"
OPERATOR = Actor(user_id="operator-1", source_ip="127.0.0.1")


async def _rota(db: Database, clock: ManualClock) -> None:
    now = clock.now()
    async with db.transaction() as session:
        for level, user in enumerate((PRIMARY, SECONDARY)):
            await rota.add_shift(
                session,
                clock,
                user_id=user,
                level=level,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=1),
                actor=OPERATOR,
            )


async def _raise(
    db: Database, clock: ManualClock, fingerprint: str = "db.down", **kw: str
) -> Alert:
    async with db.transaction() as session:
        return await service.raise_alert(
            session,
            clock,
            rule=kw.get("rule", "test.rule"),
            severity=kw.get("severity", "critical"),
            fingerprint=fingerprint,
            summary="database unreachable",
            details={"n": 1},
        )


async def _process(db: Database, clock: ManualClock) -> list[tuple[str, int]]:
    async with db.transaction() as session:
        pages = await process_due_alerts(session, clock, AlertSettings())
    return [(page.user_id, page.level) for page in pages]


async def _pages_for(db: Database, alert_id: str) -> list[tuple[str, list[str] | None]]:
    async with db.session() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.dedup_key.startswith(f"alert:{alert_id}:"))
            .order_by(Notification.created_at, Notification.dedup_key)
        )
        return [(row.user_id, row.channel_kinds) for row in rows]


async def _audit_actions(db: Database, alert_id: str) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_id == alert_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def test_critical_alert_when_unacknowledged_past_its_window_escalates_to_next_responder(
    db: Database, clock: ManualClock
) -> None:
    await _rota(db, clock)
    alert = await _raise(db, clock)

    first = await _process(db, clock)
    clock.advance(300)
    repeat = await _process(db, clock)
    clock.advance(601)  # 901 s unacknowledged: past the 900 s window
    escalated = await _process(db, clock)

    assert first == [(PRIMARY, 0)]
    assert repeat == [(PRIMARY, 0)]
    assert escalated == [(SECONDARY, 1)]
    pages = await _pages_for(db, alert.id)
    assert pages[:3] == [(PRIMARY, ["email"]), (PRIMARY, ["slack"]), (PRIMARY, ["sms"])]
    assert {user for user, _ in pages[6:]} == {SECONDARY}
    assert await _audit_actions(db, alert.id) == ["alert.raised", "alert.escalated"]


async def test_acknowledged_alert_when_its_next_page_comes_due_stops_repeating(
    db: Database, clock: ManualClock
) -> None:
    await _rota(db, clock)
    alert = await _raise(db, clock)
    await _process(db, clock)

    async with db.transaction() as session:
        await service.acknowledge(session, clock, alert.id, actor=OPERATOR)
    clock.advance(3600)
    later = await _process(db, clock)

    assert later == []
    assert len(await _pages_for(db, alert.id)) == 3  # only the first page, one per channel kind
    assert await _audit_actions(db, alert.id) == ["alert.raised", "alert.acknowledged"]


async def test_raise_alert_when_same_fingerprint_repeats_groups_into_one_alert(
    db: Database, clock: ManualClock
) -> None:
    first = await _raise(db, clock, "disk", severity="warning")
    await _raise(db, clock, "disk", severity="warning")
    third = await _raise(db, clock, "disk", severity="critical")

    assert third.id == first.id
    assert third.occurrences == 3
    assert third.severity == "critical"  # a worse repeat raises the severity
    async with db.transaction() as session:
        await service.resolve(session, clock, first.id, actor=OPERATOR, note="fixed")
    reopened = await _raise(db, clock, "disk", severity="warning")
    assert reopened.id != first.id  # a resolved alert is history; a new one opens
    assert await _audit_actions(db, first.id) == ["alert.raised", "alert.resolved"]


async def test_info_alert_when_raised_is_not_paged(db: Database, clock: ManualClock) -> None:
    await _rota(db, clock)
    alert = await _raise(db, clock, "model.retrained", severity="info")

    assert await _process(db, clock) == []
    assert alert.next_page_at is None


async def test_alert_when_nobody_is_on_call_stays_open_and_retries(
    db: Database, clock: ManualClock
) -> None:
    alert = await _raise(db, clock)

    assert await _process(db, clock) == []
    async with db.session() as session:
        row = await session.get(Alert, alert.id)
    assert row is not None and row.status == "open" and row.next_page_at is not None


async def test_rules_when_a_job_is_dead_raise_an_alert_and_resolve_it_once_cleared(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as session:
        job = await enqueue(session, "orders.submit", {"order_id": new_id()}, clock=clock)
        await session.execute(update(Job).where(Job.id == job.id).values(state="dead"))
    async with db.transaction() as session:
        fired = await evaluate_rules(session, clock, AlertSettings())
    async with db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job.id).values(state="succeeded"))
    async with db.transaction() as session:
        cleared = await evaluate_rules(session, clock, AlertSettings())

    assert [f.fingerprint for f in fired] == ["rule.jobs.dead_letter:orders.submit"]
    assert cleared == []
    async with db.session() as session:
        rows = list(await session.scalars(select(Alert)))
        open_count = await session.scalar(
            select(func.count()).select_from(Alert).where(Alert.status != "resolved")
        )
    assert len(rows) == 1 and rows[0].resolution_note == "condition cleared"
    assert open_count == 0


async def test_info_digest_when_info_alerts_were_raised_sends_one_notification_to_primary(
    db: Database, clock: ManualClock
) -> None:
    await _rota(db, clock)
    await _raise(db, clock, "model.retrained", severity="info")
    await _raise(db, clock, "backup.done", severity="info")
    slot = clock.advance(60)

    async with db.transaction() as session:
        first = await send_info_digest(session, clock, AlertSettings(), slot=slot)
    async with db.transaction() as session:
        again = await send_info_digest(session, clock, AlertSettings(), slot=slot)

    assert (first, again) == (2, 2)
    async with db.session() as session:
        digests = list(
            await session.scalars(select(Notification).where(Notification.event == "alert.digest"))
        )
    assert [(d.user_id, d.title) for d in digests] == [(PRIMARY, "Info alerts digest (2)")]
