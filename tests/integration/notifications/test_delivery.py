"""Delivery end to end over loopback: real SMTP, a real webhook sink, fallback, consent, dedup."""

from __future__ import annotations

from sqlalchemy import func, select

from botfolio.alerts.models import Alert
from botfolio.audit.models import AuditEvent
from botfolio.db.ids import new_id
from botfolio.jobs.models import Job
from botfolio.notifications import channels, service
from botfolio.notifications.delivery import dispatch_batch
from botfolio.notifications.models import (
    Notification,
    NotificationAttempt,
    NotificationChannel,
)
from botfolio.notifications.sink import WebhookSink
from botfolio.runtime import Runtime

from .conftest import DeliverAll, SmtpInbox, fast_settings, make_deps

SMS_URL = "twilio://ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:secrettoken@+15551230000/+15559870000"


async def _attempts(runtime: Runtime, notification_id: str) -> list[NotificationAttempt]:
    async with runtime.db.session() as session:
        rows = await session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == notification_id)
            .order_by(NotificationAttempt.step)
        )
        return list(rows)


async def _notification(runtime: Runtime, notification_id: str) -> Notification:
    async with runtime.db.session() as session:
        row = await session.get(Notification, notification_id)
        assert row is not None
        return row


async def _add(
    runtime: Runtime, user_id: str, kind: str, destination: str | None, *, consent: bool = True
) -> NotificationChannel:
    async with runtime.db.transaction() as session:
        return await channels.add_channel(
            session,
            runtime.clock,
            runtime.cipher,
            user_id=user_id,
            kind=kind,
            destination=destination,
            consent=consent,
        )


async def _queue(runtime: Runtime, user_id: str, key: str = "k1") -> str:
    async with runtime.db.transaction() as session:
        row = await service.queue_notification(
            session,
            runtime.clock,
            user_id=user_id,
            event="order.filled",
            data={
                "symbol": "BTC/USDT",
                "side": "buy",
                "amount": "0.5",
                "price": "50000",
                "bot": "b1",
            },
            dedup_key=key,
        )
        return row.id


async def test_deliver_when_email_and_webhook_channels_smtp_and_sink_receive_what_was_sent(
    runtime: Runtime,
    deliver_all: DeliverAll,
    smtp: tuple[SmtpInbox, int],
    sink: WebhookSink,
) -> None:
    inbox, port = smtp
    mail_user, hook_user = new_id(), new_id()
    await _add(runtime, mail_user, "email", "trader@example.com")
    await _add(runtime, hook_user, "webhook", sink.url)
    mail_id = await _queue(runtime, mail_user, "mail")
    hook_id = await _queue(runtime, hook_user, "hook")

    await deliver_all(fast_settings(port))

    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "Order filled: BTC/USDT"
    assert "trader@example.com" in inbox.messages[0]["X-Envelope-To"]
    body = sink.state.bodies[hook_id]
    assert body["event"] == "order.filled" and body["id"] == hook_id
    assert "filled at 50000" in body["body"]
    assert (await _notification(runtime, mail_id)).delivered_channel == "email"
    assert (await _notification(runtime, hook_id)).status == "delivered"
    attempts = await _attempts(runtime, hook_id)
    assert [(a.channel_kind, a.outcome) for a in attempts] == [("webhook", "delivered")]
    assert attempts[0].latency_ms > 0


async def test_deliver_when_first_channel_keeps_failing_falls_back_in_the_users_order(
    runtime: Runtime,
    deliver_all: DeliverAll,
    smtp: tuple[SmtpInbox, int],
    failing_sink: WebhookSink,
    sink: WebhookSink,
) -> None:
    inbox, port = smtp
    user = new_id()
    await _add(runtime, user, "webhook", failing_sink.url)
    await _add(runtime, user, "email", "second@example.com")
    await _add(runtime, user, "webhook", sink.url)
    notification_id = await _queue(runtime, user)

    await deliver_all(fast_settings(port, attempts_per_channel=3))

    attempts = await _attempts(runtime, notification_id)
    assert [(a.channel_kind, a.outcome) for a in attempts] == [
        ("webhook", "failed"),
        ("webhook", "failed"),
        ("webhook", "failed"),
        ("email", "delivered"),
    ]
    assert attempts[0].error == "HTTP 500"
    assert len(inbox.messages) == 1
    assert sink.state.posts == 0  # the third channel was never needed
    row = await _notification(runtime, notification_id)
    assert row.delivered_channel == "email"
    assert row.last_error == "webhook: HTTP 500"


async def test_deliver_when_sms_channel_lacks_consent_never_sends_sms(
    runtime: Runtime, deliver_all: DeliverAll, sink: WebhookSink
) -> None:
    user, sms_only_user = new_id(), new_id()
    await _add(runtime, user, "sms", SMS_URL, consent=False)
    await _add(runtime, user, "webhook", sink.url)
    await _add(runtime, sms_only_user, "sms", SMS_URL, consent=False)
    first = await _queue(runtime, user, "a")
    second = await _queue(runtime, sms_only_user, "b")

    await deliver_all(fast_settings())

    first_attempts = await _attempts(runtime, first)
    assert [a.channel_kind for a in first_attempts] == ["webhook"]
    second_attempts = await _attempts(runtime, second)
    assert [(a.channel_kind, a.outcome) for a in second_attempts] == [("in_app", "delivered")]
    async with runtime.db.session() as session:
        sms_attempts = await session.scalar(
            select(func.count()).where(NotificationAttempt.channel_kind == "sms")
        )
    assert sms_attempts == 0


async def test_deliver_when_consent_withdrawn_after_planning_skips_the_channel(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink, sink: WebhookSink
) -> None:
    user = new_id()
    flaky = await _add(runtime, user, "webhook", failing_sink.url)
    sms = await _add(runtime, user, "sms", SMS_URL)
    await _add(runtime, user, "webhook", sink.url)
    notification_id = await _queue(runtime, user)
    deps = make_deps(runtime, fast_settings(attempts_per_channel=1))
    await dispatch_batch(deps, "test")  # plans all three; the first fails
    await deps.senders.aclose()
    async with runtime.db.transaction() as session:
        await channels.set_consent(
            session, runtime.clock, user_id=user, channel_id=sms.id, consent=False
        )
    await deliver_all(fast_settings(attempts_per_channel=1))

    attempts = await _attempts(runtime, notification_id)
    kinds = [(a.channel_id, a.outcome) for a in attempts]
    assert kinds[0] == (flaky.id, "failed")
    assert (sms.id, "skipped") in kinds
    assert kinds[-1][1] == "delivered"
    assert (await _notification(runtime, notification_id)).delivered_channel == "webhook"


async def test_deliver_when_every_channel_fails_dead_letters_and_alerts(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink
) -> None:
    user = new_id()
    await _add(runtime, user, "webhook", failing_sink.url)
    notification_id = await _queue(runtime, user)

    await deliver_all(fast_settings(attempts_per_channel=2))

    row = await _notification(runtime, notification_id)
    assert row.status == "dead" and row.dead_at is not None
    assert row.alert_id is not None
    async with runtime.db.session() as session:
        alert = await session.get(Alert, row.alert_id)
        audited = await session.scalar(
            select(func.count()).where(
                AuditEvent.action == "alert.raised", AuditEvent.target_id == row.alert_id
            )
        )
    assert alert is not None and alert.rule == "notifications.dead_letter"
    assert alert.details["last_notification_id"] == notification_id
    assert audited == 1
    assert len(await _attempts(runtime, notification_id)) == 2


async def test_retry_when_dead_notification_is_retried_delivers_once_fixed(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink
) -> None:
    user = new_id()
    await _add(runtime, user, "webhook", failing_sink.url)
    notification_id = await _queue(runtime, user)
    await deliver_all(fast_settings(attempts_per_channel=1))
    failing_sink.state.fail_rate = 0.0

    async with runtime.db.transaction() as session:
        await service.retry_many(session, runtime.clock, [notification_id])
    await deliver_all(fast_settings(attempts_per_channel=1))

    row = await _notification(runtime, notification_id)
    assert row.status == "delivered"
    assert failing_sink.state.deliveries == {notification_id: 1}


async def test_queue_when_same_dedup_key_twice_keeps_one_notification_and_one_job(
    runtime: Runtime,
) -> None:
    user = new_id()
    first = await _queue(runtime, user, "order:1:filled")
    second = await _queue(runtime, user, "order:1:filled")

    assert first == second
    async with runtime.db.session() as session:
        notifications = await session.scalar(select(func.count()).select_from(Notification))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    assert (notifications, jobs) == (1, 1)


async def test_queue_when_callers_transaction_rolls_back_leaves_nothing(runtime: Runtime) -> None:
    class Boom(Exception):
        pass

    try:
        async with runtime.db.transaction() as session:
            await service.queue_notification(
                session,
                runtime.clock,
                user_id=new_id(),
                event="bot.halted",
                data={"bot": "b", "reason": "drawdown"},
                dedup_key="x",
            )
            raise Boom
    except Boom:
        pass

    async with runtime.db.session() as session:
        notifications = await session.scalar(select(func.count()).select_from(Notification))
        jobs = await session.scalar(select(func.count()).select_from(Job))
    assert (notifications, jobs) == (0, 0)
