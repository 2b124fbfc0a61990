"""`/v1/notifications` (a user's inbox, channels, settings, delivery log) and the admin failure
history, manual retry, per-user delivery log and diagnosis under `/v1/admin/notifications`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from botfolio.audit.service import Actor, record_event
from botfolio.auth.dependencies import UnitOfWork, require, runtime_of
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.notifications import channels, repository, service
from botfolio.notifications.diagnose import diagnose
from botfolio.notifications.repository import FailureFilter
from botfolio.notifications.schemas import (
    AddChannelBody,
    AttemptView,
    ChannelView,
    ConsentBody,
    DiagnosisView,
    NotificationView,
    PositionBody,
    ProfileBody,
    ProfileView,
    RetryBody,
)
from botfolio.notifications.views import (
    attempt_view,
    channel_view,
    diagnosis_view,
    notification_view,
)

router = APIRouter(tags=["notifications"])

SelfReader = Annotated[Principal, Depends(require(Permission.SELF_READ))]
SelfUpdater = Annotated[Principal, Depends(require(Permission.SELF_UPDATE))]
OpsReader = Annotated[Principal, Depends(require(Permission.OPS_READ))]
OpsActor = Annotated[Principal, Depends(require(Permission.OPS_ACT))]


@router.get("/v1/notifications")
async def my_notifications(
    principal: SelfReader, session: UnitOfWork, limit: int = Query(50, ge=1, le=500)
) -> list[NotificationView]:
    """The caller's in-app inbox: every notification, whichever channel delivered it."""
    rows = await service.list_for_user(session, principal.user_id, limit=limit)
    return [notification_view(row) for row in rows]


@router.post("/v1/notifications/{notification_id}/read")
async def mark_read(
    notification_id: str, principal: SelfUpdater, session: UnitOfWork, request: Request
) -> NotificationView:
    clock = runtime_of(request).clock
    row = await service.mark_read(session, clock, principal.user_id, notification_id)
    return notification_view(row)


@router.get("/v1/notifications/deliveries")
async def my_deliveries(
    principal: SelfReader, session: UnitOfWork, limit: int = Query(100, ge=1, le=1000)
) -> list[AttemptView]:
    rows = await repository.attempts_of(session, user_id=principal.user_id, limit=limit)
    return [attempt_view(row) for row in rows]


@router.get("/v1/notifications/channels")
async def my_channels(principal: SelfReader, session: UnitOfWork) -> list[ChannelView]:
    return [channel_view(c) for c in await repository.channels_of(session, principal.user_id)]


@router.post("/v1/notifications/channels", status_code=status.HTTP_201_CREATED)
async def add_channel(
    body: AddChannelBody, principal: SelfUpdater, session: UnitOfWork, request: Request
) -> ChannelView:
    runtime = runtime_of(request)
    channel = await channels.add_channel(
        session,
        runtime.clock,
        runtime.cipher,
        user_id=principal.user_id,
        kind=body.kind.value,
        destination=body.destination,
        label=body.label,
        consent=body.consent,
        position=body.position,
    )
    if body.consent:
        await _audit_consent(session, request, principal, channel.id, consent=True)
    return channel_view(channel)


@router.post("/v1/notifications/channels/{channel_id}/consent")
async def set_consent(
    channel_id: str,
    body: ConsentBody,
    principal: SelfUpdater,
    session: UnitOfWork,
    request: Request,
) -> ChannelView:
    channel = await channels.set_consent(
        session,
        runtime_of(request).clock,
        user_id=principal.user_id,
        channel_id=channel_id,
        consent=body.consent,
    )
    await _audit_consent(session, request, principal, channel.id, consent=body.consent)
    return channel_view(channel)


async def _audit_consent(
    session: UnitOfWork, request: Request, principal: Principal, channel_id: str, *, consent: bool
) -> None:
    """Consent is a legal record: who opted in or out of which channel, and when."""
    await record_event(
        session,
        runtime_of(request).clock,
        actor=Actor(principal.user_id, principal.source_ip),
        action="notification.consent_given" if consent else "notification.consent_withdrawn",
        target_type="notification_channel",
        target_id=channel_id,
    )


@router.post("/v1/notifications/channels/{channel_id}/position")
async def move_channel(
    channel_id: str,
    body: PositionBody,
    principal: SelfUpdater,
    session: UnitOfWork,
    request: Request,
) -> ChannelView:
    channel = await channels.set_position(
        session,
        runtime_of(request).clock,
        user_id=principal.user_id,
        channel_id=channel_id,
        position=body.position,
    )
    return channel_view(channel)


@router.delete("/v1/notifications/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_channel(channel_id: str, principal: SelfUpdater, session: UnitOfWork) -> None:
    await channels.remove_channel(session, user_id=principal.user_id, channel_id=channel_id)


@router.put("/v1/notifications/settings")
async def update_settings(
    body: ProfileBody, principal: SelfUpdater, session: UnitOfWork, request: Request
) -> ProfileView:
    profile = await channels.set_profile(
        session,
        runtime_of(request).clock,
        user_id=principal.user_id,
        language=body.language,
        in_app_only_events=body.in_app_only_events,
    )
    return ProfileView(language=profile.language, in_app_only_events=profile.in_app_only_events)


@router.get("/v1/admin/notifications/failures")
async def failures(
    _principal: OpsReader,
    session: UnitOfWork,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = Query(None, max_length=20),
    user_id: str | None = Query(None, max_length=36),
    limit: int = Query(100, ge=1, le=1000),
) -> list[NotificationView]:
    """Dead-lettered notifications and queued ones that already failed, newest first."""
    flt = FailureFilter(
        since=since, until=until, channel_kind=channel, user_id=user_id, limit=limit
    )
    return [notification_view(row) for row in await service.list_failures(session, flt)]


@router.post("/v1/admin/notifications/retry")
async def retry(
    body: RetryBody, principal: OpsActor, session: UnitOfWork, request: Request
) -> list[NotificationView]:
    """Put dead-lettered notifications back on their channels (recomputing the plan)."""
    clock = runtime_of(request).clock
    rows = await service.retry_many(session, clock, body.ids)
    await record_event(
        session,
        clock,
        actor=Actor(principal.user_id, principal.source_ip),
        action="notification.retried",
        target_type="notification",
        details={"ids": [row.id for row in rows]},
    )
    return [notification_view(row) for row in rows]


@router.get("/v1/admin/notifications/users/{user_id}/deliveries")
async def user_deliveries(
    user_id: str, _principal: OpsReader, session: UnitOfWork, limit: int = Query(100, ge=1, le=1000)
) -> list[AttemptView]:
    rows = await repository.attempts_of(session, user_id=user_id, limit=limit)
    return [attempt_view(row) for row in rows]


@router.get("/v1/admin/notifications/users/{user_id}/diagnosis")
async def user_diagnosis(
    user_id: str, _principal: OpsReader, session: UnitOfWork, request: Request
) -> DiagnosisView:
    return diagnosis_view(await diagnose(session, runtime_of(request).clock, user_id))
