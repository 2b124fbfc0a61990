"""Typed alert routing policy: the `alerts` section of `config.Settings`."""

from __future__ import annotations

from typing import Any

from botfolio.config import AlertSettings, SeverityRoute

__all__ = ["AlertSettings", "SeverityRoute", "alert_settings"]


def alert_settings(settings: Any) -> AlertSettings:
    found = getattr(settings, "alerts", None)
    return found if isinstance(found, AlertSettings) else AlertSettings()
