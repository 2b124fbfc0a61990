"""Login throttling: failures counted per account in a window; too many lock it for a while.

A locked account is refused (423) even with the right password until `locked_until`, so a guessing
attacker learns nothing from a late correct guess.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botfolio.auth.models import User
from botfolio.config import AuthSettings


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def record_failure(user: User, now: datetime, settings: AuthSettings) -> bool:
    """Count one failure; returns True when this failure locks the account."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
        user.failed_login_count = 0
        user.first_failed_login_at = now
    user.failed_login_count += 1
    if user.failed_login_count >= settings.login_max_failures:
        user.locked_until = now + timedelta(seconds=settings.lockout_seconds)
        user.failed_login_count = 0
        user.first_failed_login_at = None
        return True
    return False


def record_success(user: User, now: datetime) -> None:
    user.failed_login_count = 0
    user.first_failed_login_at = None
    user.locked_until = None
    user.last_login_at = now
