"""Prometheus gauge of unresolved operator alerts by severity, refreshed from the table on scrape."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts import repository
from botfolio.alerts.models import Severity

ALERTS_OPEN = Gauge(
    "botfolio_alerts_open",
    "Unresolved operator alerts (open or acknowledged) by severity.",
    ["severity"],
)


async def refresh_alert_metrics(session: AsyncSession) -> None:
    counts = await repository.count_unresolved_by_severity(session)
    for severity in Severity:
        ALERTS_OPEN.labels(severity.value).set(counts.get(severity.value, 0))
