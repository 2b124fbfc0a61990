"""Login throttling: failures in a window lock the account; the lock lifts on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botfolio.auth import throttle
from botfolio.auth.models import User
from botfolio.config import AuthSettings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = AuthSettings(login_max_failures=3, login_failure_window_seconds=60, lockout_seconds=300)


def _user() -> User:
    return User(id="u1", failed_login_count=0, first_failed_login_at=None, locked_until=None)


def test_record_failure_when_max_failures_within_window_locks_until_lockout_ends() -> None:
    user = _user()
    results = [
        throttle.record_failure(user, NOW + timedelta(seconds=i), SETTINGS) for i in range(3)
    ]
    assert results == [False, False, True]
    assert user.locked_until == NOW + timedelta(seconds=2 + 300)
    assert throttle.is_locked(user, NOW + timedelta(seconds=301))
    assert not throttle.is_locked(user, NOW + timedelta(seconds=302))


def test_record_failure_when_window_passed_starts_counting_again() -> None:
    user = _user()
    throttle.record_failure(user, NOW, SETTINGS)
    throttle.record_failure(user, NOW + timedelta(seconds=10), SETTINGS)
    locked = throttle.record_failure(user, NOW + timedelta(seconds=61), SETTINGS)
    assert locked is False
    assert user.failed_login_count == 1
    assert not throttle.is_locked(user, NOW + timedelta(seconds=61))


def test_record_success_when_failures_were_counted_clears_them() -> None:
    user = _user()
    throttle.record_failure(user, NOW, SETTINGS)
    throttle.record_failure(user, NOW, SETTINGS)
    throttle.record_success(user, NOW)
    assert user.failed_login_count == 0 and user.first_failed_login_at is None
    assert user.last_login_at == NOW
    assert throttle.record_failure(user, NOW, SETTINGS) is False
