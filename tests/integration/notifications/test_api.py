"""The notification and alert routes on the real app: a user's channels, consent and inbox; an
operator's failure history and alert acknowledgement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pyotp
import pytest
from sqlalchemy import select

from botfolio.alerts.service import raise_alert
from botfolio.api.app import create_app
from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.auth import two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.clock import ManualClock
from botfolio.notifications import service
from botfolio.runtime import Runtime

PASSWORD = "correct horse battery staple"
SMS_URL = "twilio://ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:secrettoken@+15551230000/+15559870000"


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    runtime.clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _log_in(runtime: Runtime, client: httpx.AsyncClient, role: Role) -> str:
    """Create a member (staff enroll in 2FA), log in, keep the CSRF header; returns the user id."""
    ctx = AuthContext.from_runtime(runtime)
    email = f"{role.value}@example.com"
    totp = None
    async with runtime.db.transaction() as session:
        created = await users.create_user(
            session, ctx, email=email, role=role, password=PASSWORD, actor=Actor.system()
        )
        if ctx.is_staff(role.value):
            enrollment = await two_factor.begin_enrollment(
                session, ctx, created.user, account_label=email, actor=Actor.system()
            )
            totp = pyotp.TOTP(enrollment.secret)
            await two_factor.confirm_enrollment(
                session, ctx, created.user, totp.at(ctx.clock.now()), actor=Actor.system()
            )
    body = {"email": email, "password": PASSWORD}
    if totp is not None:
        assert isinstance(runtime.clock, ManualClock)
        runtime.clock.advance(30)
        body["totp_code"] = totp.at(runtime.clock.now())
    response = await client.post("/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return created.user.id


async def test_user_when_adding_a_channel_and_opting_in_never_sees_the_destination_again(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    user_id = await _log_in(runtime, api, Role.USER)

    added = await api.post(
        "/v1/notifications/channels", json={"kind": "sms", "destination": SMS_URL, "label": "phone"}
    )
    channel_id = added.json()["id"]
    consented = await api.post(
        f"/v1/notifications/channels/{channel_id}/consent", json={"consent": True}
    )
    refused = await api.post(
        "/v1/notifications/channels", json={"kind": "sms", "destination": "not a url"}
    )
    listed = await api.get("/v1/notifications/channels")

    assert added.status_code == 201 and added.json()["consent_at"] is None
    assert consented.json()["consent_at"] is not None
    assert refused.status_code == 422 or refused.json()["error"]["code"] == "validation_failed"
    assert "secrettoken" not in listed.text and "+1555" not in listed.text
    assert listed.json()[0]["has_destination"] is True
    async with runtime.db.session() as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_id == channel_id)
            )
        )
    assert actions == ["notification.consent_given"]
    assert user_id


async def test_user_when_notified_sees_it_in_the_inbox_and_marks_it_read(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    user_id = await _log_in(runtime, api, Role.USER)
    await api.put("/v1/notifications/settings", json={"language": "ko"})
    async with runtime.db.transaction() as session:
        row = await service.queue_notification(
            session,
            runtime.clock,
            user_id=user_id,
            event="bot.halted",
            data={"bot": "b1", "reason": "drawdown"},
            dedup_key="halt-1",
        )

    inbox = await api.get("/v1/notifications")
    read = await api.post(f"/v1/notifications/{row.id}/read")

    assert [n["title"] for n in inbox.json()] == ["봇 정지: b1"]
    assert read.json()["read_at"] is not None


async def test_operator_when_acknowledging_an_alert_through_the_api_stops_its_paging(
    runtime: Runtime, api: httpx.AsyncClient
) -> None:
    await _log_in(runtime, api, Role.OPERATOR)
    async with runtime.db.transaction() as session:
        alert = await raise_alert(
            session,
            runtime.clock,
            rule="test",
            severity="critical",
            fingerprint="f1",
            summary="breaker open",
        )

    listed = await api.get("/v1/admin/alerts", params={"status": "open"})
    acked = await api.post(f"/v1/admin/alerts/{alert.id}/acknowledge")
    failures = await api.get("/v1/admin/notifications/failures")

    assert [a["id"] for a in listed.json()] == [alert.id]
    assert acked.json()["status"] == "acknowledged" and acked.json()["next_page_at"] is None
    assert failures.status_code == 200 and failures.json() == []
