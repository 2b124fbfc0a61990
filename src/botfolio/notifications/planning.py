"""Pure delivery decisions: which channels a notification may use, and what follows an attempt.

No I/O here, so consent, fallback order and the backoff schedule are tested directly.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from botfolio.notifications.models import ChannelKind
from botfolio.notifications.settings import NotificationSettings


@dataclass(frozen=True)
class ChannelView:
    """What planning needs to know about a channel (no destination: planning never sends)."""

    id: str
    kind: str
    position: int
    enabled: bool
    consent_at: datetime | None
    has_destination: bool


def unusable_reason(channel: ChannelView) -> str | None:
    """Why this channel may not carry a notification now, or None when it may.

    Every channel except in-app needs an explicit opt-in: sending an SMS or a push to someone who
    never agreed to it is the one mistake a notifier must not make.
    """
    if not channel.enabled:
        return "channel disabled"
    if channel.kind == ChannelKind.IN_APP:
        return None
    if channel.consent_at is None:
        return "no consent (the user has not opted in to this channel)"
    if not channel.has_destination:
        return "no destination configured"
    return None


def build_plan(
    channels: Iterable[ChannelView], *, restrict_to: Sequence[str] | None, in_app_only: bool
) -> list[str]:
    """Channel ids to try, in the user's fallback order; empty means "in-app only".

    Channels after an in-app one are dropped: reaching in-app always succeeds (it is stored).
    """
    if in_app_only:
        return []
    plan: list[str] = []
    for channel in sorted(channels, key=lambda c: (c.position, c.id)):
        if restrict_to is not None and channel.kind not in restrict_to:
            continue
        if unusable_reason(channel) is not None:
            continue
        plan.append(channel.id)
        if channel.kind == ChannelKind.IN_APP:
            break
    return plan


class NextAction(StrEnum):
    DONE = "done"  # delivered
    RETRY_SAME_CHANNEL = "retry_same_channel"
    NEXT_CHANNEL = "next_channel"
    DEAD = "dead"


@dataclass(frozen=True)
class Decision:
    action: NextAction
    plan_index: int
    channel_attempts: int
    delay: timedelta


@dataclass(frozen=True)
class DeliveryPosition:
    plan_length: int
    plan_index: int
    channel_attempts: int  # attempts already made on the current channel, before this one


def decide_after_attempt(
    position: DeliveryPosition,
    *,
    delivered: bool,
    retryable: bool,
    settings: NotificationSettings,
    rng: random.Random,
) -> Decision:
    """Retry the channel with exponential backoff until its budget is spent, then fall back to
    the next channel at once; after the last channel, dead-letter.

    A non-retryable failure (channel unusable, destination refused) moves on immediately.
    """
    attempts = position.channel_attempts + 1
    if delivered:
        return Decision(NextAction.DONE, position.plan_index, attempts, timedelta(0))
    if retryable and attempts < settings.attempts_per_channel:
        delay = backoff_delay(attempts, settings, rng)
        return Decision(NextAction.RETRY_SAME_CHANNEL, position.plan_index, attempts, delay)
    if position.plan_index + 1 < position.plan_length:
        return Decision(NextAction.NEXT_CHANNEL, position.plan_index + 1, 0, timedelta(0))
    return Decision(NextAction.DEAD, position.plan_index, attempts, timedelta(0))


def backoff_delay(attempt: int, settings: NotificationSettings, rng: random.Random) -> timedelta:
    """Exponential backoff with "equal jitter": at least half the exponential step, never zero,
    so a failing endpoint is not hammered while retries of many notifications still spread out."""
    exponent = min(attempt - 1, 62)
    step = min(settings.backoff_max_seconds, settings.backoff_base_seconds * float(2**exponent))
    return timedelta(seconds=step / 2 + rng.uniform(0.0, step / 2))
