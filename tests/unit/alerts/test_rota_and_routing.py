"""On-call level selection and the next page time, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from botfolio.alerts.models import Alert
from botfolio.alerts.paging import _escalation_due, _next_page_at
from botfolio.alerts.rota import responder_for_level
from botfolio.alerts.settings import SeverityRoute

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CRITICAL = SeverityRoute(channels=["sms"], repeat_seconds=300, escalate_after_seconds=900)


def _alert(**values: Any) -> Alert:
    return cast(Alert, SimpleNamespace(**values))


def test_responder_for_level_when_rota_is_shorter_keeps_the_last_responder() -> None:
    assert responder_for_level(["a", "b"], 0) == "a"
    assert responder_for_level(["a", "b"], 5) == "b"
    assert responder_for_level([], 0) is None


def test_next_page_at_when_repeating_and_escalating_picks_the_sooner() -> None:
    alert = _alert(level_since=NOW - timedelta(seconds=800))

    assert _next_page_at(alert, CRITICAL, NOW) == NOW + timedelta(seconds=100)


def test_next_page_at_when_route_neither_repeats_nor_escalates_is_none() -> None:
    assert _next_page_at(_alert(level_since=NOW), SeverityRoute(channels=["slack"]), NOW) is None


def test_escalation_due_when_window_passed_after_a_page_is_true_only_then() -> None:
    paged = _alert(pages_sent=1, level_since=NOW - timedelta(seconds=900))
    fresh = _alert(pages_sent=1, level_since=NOW - timedelta(seconds=899))
    never_paged = _alert(pages_sent=0, level_since=None)

    assert _escalation_due(paged, CRITICAL, NOW)
    assert not _escalation_due(fresh, CRITICAL, NOW)
    assert not _escalation_due(never_paged, CRITICAL, NOW)
