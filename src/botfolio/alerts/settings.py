"""Typed alert routing policy (mounted as `Settings.alerts` by the integrator).

Until `config.Settings` carries it, `alert_settings(settings)` returns these defaults.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SeverityRoute(BaseModel):
    """How one severity reaches the on-call responder.

    `channels`: channel kinds paged at once (each through the responder's own consented
    channels). `repeat_seconds`: page again until acknowledged (None: page once).
    `escalate_after_seconds`: unacknowledged this long at one level -> the next responder.
    `digest`: not paged; collected into the daily digest instead.
    """

    channels: list[str] = Field(default_factory=list)
    repeat_seconds: float | None = None
    escalate_after_seconds: float | None = None
    digest: bool = False


class AlertSettings(BaseModel):
    routes: dict[str, SeverityRoute] = Field(
        default_factory=lambda: {
            "critical": SeverityRoute(
                channels=["sms", "slack", "email"],
                repeat_seconds=300.0,
                escalate_after_seconds=900.0,
            ),
            "warning": SeverityRoute(channels=["slack"]),
            "info": SeverityRoute(digest=True),
        }
    )
    evaluate_interval_seconds: float = 30.0
    digest_interval_seconds: float = 86_400.0
    job_backlog_warning_seconds: float = 300.0
    job_backlog_critical_seconds: float = 1800.0


def alert_settings(settings: Any) -> AlertSettings:
    found = getattr(settings, "alerts", None)
    return found if isinstance(found, AlertSettings) else AlertSettings()
