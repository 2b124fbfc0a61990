"""Per-channel rate limits defer without spending an attempt; per-event preferences keep an
event in-app only, except for the events a user must always receive."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from botfolio.db.ids import new_id
from botfolio.errors import ValidationFailedError
from botfolio.notifications import channels, service
from botfolio.notifications.delivery import dispatch_batch
from botfolio.notifications.models import Notification, NotificationAttempt
from botfolio.notifications.sink import WebhookSink
from botfolio.runtime import Runtime

from .conftest import DeliverAll, fast_settings, make_deps


async def _webhook_user(runtime: Runtime, sink: WebhookSink) -> str:
    user = new_id()
    async with runtime.db.transaction() as session:
        await channels.add_channel(
            session,
            runtime.clock,
            runtime.cipher,
            user_id=user,
            kind="webhook",
            destination=sink.url,
            consent=True,
        )
    return user


async def _queue(runtime: Runtime, user: str, event: str, key: str) -> str:
    async with runtime.db.transaction() as session:
        row = await service.queue_notification(
            session,
            runtime.clock,
            user_id=user,
            event=event,
            data={"symbol": "ETH/USDT", "bot": "b1", "reason": "limit"},
            dedup_key=key,
        )
    return row.id


async def test_rate_limit_when_channel_is_over_its_rate_defers_without_an_attempt(
    runtime: Runtime, sink: WebhookSink
) -> None:
    user = await _webhook_user(runtime, sink)
    first = await _queue(runtime, user, "order.filled", "a")
    second = await _queue(runtime, user, "order.filled", "b")
    deps = make_deps(
        runtime,
        fast_settings(rate_per_second={"webhook": 0.01}, rate_limit_max_wait_seconds=0.2),
    )

    report = await dispatch_batch(deps, "test")
    await deps.senders.aclose()

    assert (report.leased, report.delivered) == (2, 1)
    async with runtime.db.session() as session:
        rows = {n.id: n for n in await session.scalars(select(Notification))}
        attempted = set(await session.scalars(select(NotificationAttempt.notification_id)))
    deferred = second if rows[first].status == "delivered" else first
    assert rows[deferred].status == "queued" and rows[deferred].step == 0
    assert rows[deferred].next_attempt_at is not None
    assert rows[deferred].lease_owner is None
    assert deferred not in attempted
    assert sink.state.posts == 1


async def test_preferences_when_event_is_in_app_only_skips_external_channels(
    runtime: Runtime, sink: WebhookSink, deliver_all: DeliverAll
) -> None:
    user = await _webhook_user(runtime, sink)
    async with runtime.db.transaction() as session:
        await channels.set_profile(
            session, runtime.clock, user_id=user, in_app_only_events=["order.filled"]
        )
    muted = await _queue(runtime, user, "order.filled", "muted")
    urgent = await _queue(runtime, user, "bot.halted", "urgent")

    await deliver_all(fast_settings())

    async with runtime.db.session() as session:
        rows = {n.id: n for n in await session.scalars(select(Notification))}
    assert rows[muted].delivered_channel == "in_app"
    assert rows[urgent].delivered_channel == "webhook"
    assert set(sink.state.deliveries) == {urgent}


async def test_preferences_when_muting_an_event_users_must_receive_is_refused(
    runtime: Runtime,
) -> None:
    async with runtime.db.transaction() as session:
        with pytest.raises(ValidationFailedError):
            await channels.set_profile(
                session, runtime.clock, user_id=new_id(), in_app_only_events=["bot.halted"]
            )
