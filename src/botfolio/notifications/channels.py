"""Use cases on a user's channels and settings: add, consent, withdraw, remove, language, mutes.

Destinations are encrypted bound to (notification_channels, destination_encrypted, channel id);
they are decrypted only by the delivery step that sends, and never returned by the API.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import NotFoundError, ValidationFailedError
from botfolio.notifications import repository
from botfolio.notifications.events import EVENTS, template_for, validate_language
from botfolio.notifications.models import ChannelKind, NotificationChannel, NotificationProfile
from botfolio.notifications.planning import ChannelView
from botfolio.security.crypto import FieldCipher

TABLE = "notification_channels"
COLUMN = "destination_encrypted"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SMS_SCHEMES = frozenset(
    {
        "twilio",
        "clicksend",
        "d7sms",
        "sinch",
        "bulksms",
        "msg91",
        "plivo",
        "smseagle",
        "vonage",
        "nexmo",
        "kavenegar",
        "bulkvs",
        "signal",
        "sns",
        "fortysixelks",
        "46elks",
    }
)
SCHEMES: dict[str, frozenset[str]] = {
    ChannelKind.SLACK: frozenset({"slack", "https"}),
    ChannelKind.TELEGRAM: frozenset({"tgram"}),
    ChannelKind.SMS: SMS_SCHEMES,
    ChannelKind.WEBHOOK: frozenset({"http", "https"}),
}


def validate_destination(kind: str, destination: str | None) -> str | None:
    """A destination that fits its channel kind, or a ValidationFailedError saying why not."""
    if kind not in set(ChannelKind):
        raise ValidationFailedError(f"unknown channel kind {kind!r}", kind=kind)
    if kind == ChannelKind.IN_APP:
        return None
    if not destination or len(destination) > 2000:
        raise ValidationFailedError(f"a {kind} channel needs a destination", kind=kind)
    destination = destination.strip()
    if kind == ChannelKind.EMAIL:
        if not EMAIL.match(destination):
            raise ValidationFailedError("not an e-mail address", kind=kind)
        return destination
    scheme = urlsplit(destination).scheme.lower()
    if scheme not in SCHEMES[kind]:
        allowed = ", ".join(sorted(SCHEMES[kind]))
        raise ValidationFailedError(f"a {kind} destination must be a {allowed}:// URL", kind=kind)
    return destination


async def add_channel(
    session: AsyncSession,
    clock: Clock,
    cipher: FieldCipher,
    *,
    user_id: str,
    kind: str,
    destination: str | None,
    label: str = "",
    consent: bool = False,
    position: int | None = None,
) -> NotificationChannel:
    """Add a channel at the end of the fallback order (or at `position`).

    `consent=True` records the user's explicit opt-in now; without it the channel is stored but
    never used until `give_consent`.
    """
    clean = validate_destination(kind, destination)
    existing = await repository.channels_of(session, user_id)
    now = clock.now()
    channel_id = new_id()
    channel = NotificationChannel(
        id=channel_id,
        user_id=user_id,
        kind=kind,
        label=(label or kind)[:100],
        destination_encrypted=(
            cipher.encrypt(clean, table=TABLE, column=COLUMN, row_id=channel_id) if clean else None
        ),
        position=position if position is not None else _next_position(existing),
        enabled=True,
        consent_at=now if consent else None,
        created_at=now,
        updated_at=now,
    )
    session.add(channel)
    await session.flush()
    return channel


def _next_position(channels: Sequence[NotificationChannel]) -> int:
    return max((c.position for c in channels), default=-1) + 1


async def owned_channel(
    session: AsyncSession, user_id: str, channel_id: str
) -> NotificationChannel:
    channel = await repository.get_channel(session, channel_id)
    if channel is None or channel.user_id != user_id:
        raise NotFoundError(f"no channel {channel_id}", channel_id=channel_id)
    return channel


async def set_consent(
    session: AsyncSession, clock: Clock, *, user_id: str, channel_id: str, consent: bool
) -> NotificationChannel:
    channel = await owned_channel(session, user_id, channel_id)
    now = clock.now()
    channel.consent_at = now if consent else None
    channel.updated_at = now
    return channel


async def set_position(
    session: AsyncSession, clock: Clock, *, user_id: str, channel_id: str, position: int
) -> NotificationChannel:
    channel = await owned_channel(session, user_id, channel_id)
    channel.position = position
    channel.updated_at = clock.now()
    return channel


async def remove_channel(session: AsyncSession, *, user_id: str, channel_id: str) -> None:
    channel = await owned_channel(session, user_id, channel_id)
    await session.delete(channel)


def decrypt_destination(cipher: FieldCipher, channel: NotificationChannel) -> str | None:
    if channel.destination_encrypted is None:
        return None
    return cipher.decrypt(
        channel.destination_encrypted, table=TABLE, column=COLUMN, row_id=channel.id
    )


def view_of(channel: NotificationChannel) -> ChannelView:
    return ChannelView(
        id=channel.id,
        kind=channel.kind,
        position=channel.position,
        enabled=channel.enabled,
        consent_at=channel.consent_at,
        has_destination=channel.destination_encrypted is not None
        or channel.kind == ChannelKind.IN_APP,
    )


async def set_profile(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: str,
    language: str | None = None,
    in_app_only_events: Sequence[str] | None = None,
) -> NotificationProfile:
    """Set the language and the events the user wants in-app only (their per-event preference).

    Events that must always reach the user (a halted bot, expired credentials) cannot be muted.
    """
    if language is not None:
        validate_language(language)
    for event in in_app_only_events or ():
        if not template_for(event).can_be_muted:
            raise ValidationFailedError(f"{event} cannot be limited to in-app", event=event)
    now = clock.now()
    profile = await repository.get_profile(session, user_id)
    if profile is None:
        profile = NotificationProfile(
            user_id=user_id, language="en", in_app_only_events=[], updated_at=now
        )
        session.add(profile)
    if language is not None:
        profile.language = language
    if in_app_only_events is not None:
        profile.in_app_only_events = sorted(set(in_app_only_events))
    profile.updated_at = now
    await session.flush()
    return profile


def mutable_events() -> list[str]:
    return sorted(name for name, template in EVENTS.items() if template.can_be_muted)
