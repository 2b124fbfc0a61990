"""`diagnose` and the `notifications` / `alerts` CLI groups against a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from botfolio.alerts.models import Alert
from botfolio.audit.models import AuditEvent
from botfolio.cli.alerts_cmd import app as alerts_app
from botfolio.cli.notifications_cmd import app as notifications_app
from botfolio.config import get_settings
from botfolio.db.ids import new_id
from botfolio.notifications import channels, service
from botfolio.notifications.diagnose import diagnose
from botfolio.notifications.models import Notification
from botfolio.notifications.sink import WebhookSink
from botfolio.runtime import Runtime

from .conftest import DeliverAll, fast_settings

SMS_URL = "twilio://ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:secrettoken@+15551230000/+15559870000"


@pytest.fixture
def cli_env(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield {
        "BOTFOLIO_DATABASE__URL": runtime.settings.database.url.get_secret_value(),
        "BOTFOLIO_LOG__LEVEL": "WARNING",
        "COLUMNS": "250",
    }
    get_settings.cache_clear()


async def _user_with_sms_without_consent_and_failing_webhook(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink
) -> tuple[str, str, str]:
    user = new_id()
    async with runtime.db.transaction() as session:
        sms = await channels.add_channel(
            session,
            runtime.clock,
            runtime.cipher,
            user_id=user,
            kind="sms",
            destination=SMS_URL,
            consent=False,
            label="phone",
        )
        await channels.add_channel(
            session,
            runtime.clock,
            runtime.cipher,
            user_id=user,
            kind="webhook",
            destination=failing_sink.url,
            consent=True,
            label="my hook",
        )
        notification = await service.queue_notification(
            session,
            runtime.clock,
            user_id=user,
            event="bot.paused",
            data={"bot": "b1", "reason": "risk limit"},
            dedup_key="paused-1",
        )
    await deliver_all(fast_settings(attempts_per_channel=2))
    return user, sms.id, notification.id


async def test_diagnose_when_sms_lacks_consent_and_webhook_fails_reports_both_and_the_fix(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink
) -> None:
    user, sms_id, _ = await _user_with_sms_without_consent_and_failing_webhook(
        runtime, deliver_all, failing_sink
    )

    async with runtime.db.session() as session:
        report = await diagnose(session, runtime.clock, user)

    messages = [f.message for f in report.findings]
    assert any("sms channel 'phone'" in m and "no consent" in m for m in messages)
    assert any("webhook channel 'my hook'" in m and "HTTP 500" in m for m in messages)
    assert any("dead-lettered" in m for m in messages)
    sms_fix = next(f.fix for f in report.findings if "no consent" in f.message)
    assert sms_id in sms_fix
    by_kind = {c.kind: c for c in report.channels}
    assert not by_kind["sms"].usable and by_kind["webhook"].last_outcome == "failed"
    assert [a.outcome for a in report.recent_attempts] == ["failed", "failed"]


async def _invoke(app: object, env: dict[str, str], *args: str) -> Result:
    """In a thread: the command runs its own event loop, as it does from a shell."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)  # type: ignore[arg-type]


async def _run(app: object, env: dict[str, str], *args: str) -> Result:
    result = await _invoke(app, env, *args)
    assert result.exit_code == 0, result.output
    return result


async def test_cli_when_notification_dead_lists_diagnoses_and_retries_it(
    runtime: Runtime,
    deliver_all: DeliverAll,
    failing_sink: WebhookSink,
    cli_env: dict[str, str],
) -> None:
    user, _, notification_id = await _user_with_sms_without_consent_and_failing_webhook(
        runtime, deliver_all, failing_sink
    )

    listed = await _run(notifications_app, cli_env, "failures", "--channel", "webhook")
    diagnosed = await _run(notifications_app, cli_env, "diagnose", user)
    logged = await _run(notifications_app, cli_env, "log", user)
    await _run(notifications_app, cli_env, "retry", notification_id, "--by", "operator-1")

    assert notification_id in listed.output
    assert "no consent" in diagnosed.output and "HTTP 500" in diagnosed.output
    assert logged.output.count("failed") == 2
    async with runtime.db.session() as session:
        row = await session.get(Notification, notification_id)
    assert row is not None and row.status == "queued"


async def test_cli_when_operator_acknowledges_an_alert_it_is_audited(
    runtime: Runtime, deliver_all: DeliverAll, failing_sink: WebhookSink, cli_env: dict[str, str]
) -> None:
    await _user_with_sms_without_consent_and_failing_webhook(runtime, deliver_all, failing_sink)
    async with runtime.db.session() as session:
        alert = (await session.scalars(select(Alert))).one()

    listed = await _run(alerts_app, cli_env, "list", "--status", "open")
    await _run(alerts_app, cli_env, "ack", alert.id, "--by", "operator-1")
    refused = await _invoke(alerts_app, cli_env, "ack", alert.id, "--by", "operator-1")

    assert alert.id in listed.output
    assert refused.exit_code == 1 and "acknowledged" in refused.output
    async with runtime.db.session() as session:
        audited = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "alert.acknowledged", AuditEvent.target_id == alert.id
                )
            )
        ).one()
    assert audited.actor_id == "operator-1"
