"""Typed settings of notification delivery (mounted as `Settings.notifications` by the integrator).

Until `config.Settings` carries them, `notification_settings(settings)` returns the defaults.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class NotificationSettings(BaseModel):
    attempts_per_channel: int = Field(default=3, ge=1, le=20)
    backoff_base_seconds: float = Field(default=5.0, ge=0)
    backoff_max_seconds: float = Field(default=600.0, ge=0)
    send_timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: dict[str, float] = Field(
        default_factory=lambda: {
            "email": 5.0,
            "slack": 1.0,
            "telegram": 20.0,
            "sms": 1.0,
            "webhook": 1000.0,
        },
        description="Per-channel-kind send rate (token bucket per worker process).",
    )
    rate_limit_max_wait_seconds: float = Field(
        default=5.0, description="Wait this long for a token, then hand the job back to retry."
    )
    smtp_url: str = Field(
        default="mailto://127.0.0.1:8025?from=botfolio@localhost&mode=insecure",
        description="apprise mailto:// URL of the SMTP relay, without `to=` (added per user).",
    )
    batch_size: int = Field(default=200, ge=1, le=1000, description="Rows one dispatcher leases.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A dispatcher that dies loses its rows after this long."
    )
    dispatch_budget_seconds: float = Field(
        default=20.0, gt=0, description="One dispatch job works this long, then hands over."
    )
    max_in_flight: int = Field(default=3, ge=1, description="Send lanes per batch.")
    dispatch_interval_seconds: float = Field(
        default=1.0, gt=0, description="Scheduler safety net: a dispatch job at least this often."
    )


def notification_settings(settings: Any) -> NotificationSettings:
    """The `notifications` section of the app settings, or the defaults when it is absent."""
    found = getattr(settings, "notifications", None)
    return found if isinstance(found, NotificationSettings) else NotificationSettings()
