"""Consent, fallback order and the backoff schedule, decided without any I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from botfolio.notifications.planning import (
    ChannelView,
    DeliveryPosition,
    NextAction,
    backoff_delay,
    build_plan,
    decide_after_attempt,
    unusable_reason,
)
from botfolio.notifications.settings import NotificationSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS = NotificationSettings(
    attempts_per_channel=3, backoff_base_seconds=2.0, backoff_max_seconds=30.0
)


def _channel(cid: str, kind: str, position: int, *, consent: bool = True, enabled: bool = True):
    return ChannelView(cid, kind, position, enabled, NOW if consent else None, True)


def test_build_plan_when_channels_unordered_follows_the_users_fallback_order() -> None:
    channels = [_channel("c", "sms", 2), _channel("a", "email", 0), _channel("b", "slack", 1)]

    assert build_plan(channels, restrict_to=None, in_app_only=False) == ["a", "b", "c"]


def test_build_plan_when_sms_has_no_consent_leaves_it_out() -> None:
    channels = [_channel("sms", "sms", 0, consent=False), _channel("mail", "email", 1)]

    assert build_plan(channels, restrict_to=None, in_app_only=False) == ["mail"]
    assert "consent" in (unusable_reason(channels[0]) or "")


def test_build_plan_when_in_app_reached_drops_later_channels_since_in_app_cannot_fail() -> None:
    channels = [
        _channel("hook", "webhook", 0),
        _channel("inbox", "in_app", 1, consent=False),
        _channel("mail", "email", 2),
    ]

    assert build_plan(channels, restrict_to=None, in_app_only=False) == ["hook", "inbox"]


def test_build_plan_when_restricted_to_kinds_or_muted_uses_only_those_or_none() -> None:
    channels = [_channel("mail", "email", 0), _channel("sms", "sms", 1, enabled=False)]

    assert build_plan(channels, restrict_to=["sms"], in_app_only=False) == []
    assert build_plan(channels, restrict_to=["email"], in_app_only=False) == ["mail"]
    assert build_plan(channels, restrict_to=None, in_app_only=True) == []


def _decide(index: int, attempts: int, *, delivered: bool = False, retryable: bool = True):
    position = DeliveryPosition(plan_length=2, plan_index=index, channel_attempts=attempts)
    return decide_after_attempt(
        position,
        delivered=delivered,
        retryable=retryable,
        settings=SETTINGS,
        rng=random.Random(3),
    )


def test_decide_when_failures_accumulate_retries_then_falls_back_then_dead_letters() -> None:
    assert _decide(0, 0).action == NextAction.RETRY_SAME_CHANNEL
    assert _decide(0, 1).action == NextAction.RETRY_SAME_CHANNEL
    fallback = _decide(0, 2)
    assert (fallback.action, fallback.plan_index, fallback.delay) == (
        NextAction.NEXT_CHANNEL,
        1,
        timedelta(0),
    )
    assert _decide(1, 2).action == NextAction.DEAD
    assert _decide(1, 0, delivered=True).action == NextAction.DONE


def test_decide_when_failure_is_permanent_moves_to_next_channel_at_once() -> None:
    assert _decide(0, 0, retryable=False).action == NextAction.NEXT_CHANNEL


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 8])
def test_backoff_delay_when_attempts_grow_stays_within_half_to_full_exponential_step(
    attempt: int,
) -> None:
    step = min(30.0, 2.0 * 2 ** (attempt - 1))
    delays = [backoff_delay(attempt, SETTINGS, random.Random(seed)) for seed in range(50)]

    assert all(step / 2 <= d.total_seconds() <= step for d in delays)
