"""Typed settings of notification delivery: the `notifications` section of `config.Settings`."""

from __future__ import annotations

from typing import Any

from botfolio.config import NotificationSettings

__all__ = ["NotificationSettings", "notification_settings"]


def notification_settings(settings: Any) -> NotificationSettings:
    """The `notifications` section of the app settings, or the defaults when it is absent."""
    found = getattr(settings, "notifications", None)
    return found if isinstance(found, NotificationSettings) else NotificationSettings()
