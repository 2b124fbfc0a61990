"""What a /metrics scrape does: refresh the database-backed gauges, then render the registry.

The refresh is bounded by a short timeout and never fails the scrape: when the database is down,
the process metrics (and `botfolio_ready 0`) are exactly what the operator needs to see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from prometheus_client import REGISTRY, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.logs import get_logger
from botfolio.ops.health import build_facts, check_readiness
from botfolio.ops.metrics import METRICS_REFRESH_FAILURES
from botfolio.runtime import Runtime

REFRESH_TIMEOUT_SECONDS = 2.0

log = get_logger(__name__)

Refresher = Callable[[AsyncSession, Clock], Awaitable[None]]


def _refreshers() -> dict[str, Refresher]:
    """Every database-backed gauge family, refreshed on each scrape."""
    from botfolio.alerts.metrics import refresh_alert_metrics
    from botfolio.jobs.metrics import refresh_job_metrics
    from botfolio.notifications.metrics import refresh_notification_metrics

    async def alerts(session: AsyncSession, _clock: Clock) -> None:
        await refresh_alert_metrics(session)

    return {
        "jobs": refresh_job_metrics,
        "notifications": refresh_notification_metrics,
        "alerts": alerts,
    }


async def refresh_database_gauges(runtime: Runtime) -> None:
    build_facts()
    readiness = await check_readiness(runtime.db, limit_seconds=REFRESH_TIMEOUT_SECONDS)
    if not readiness.ready:
        METRICS_REFRESH_FAILURES.labels(source="readiness").inc()
        return
    for source, refresher in _refreshers().items():
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT_SECONDS):
                async with runtime.db.transaction() as session:
                    await refresher(session, runtime.clock)
        except Exception as exc:
            METRICS_REFRESH_FAILURES.labels(source=source).inc()
            log.warning("metrics.refresh_failed", source=source, error_type=type(exc).__name__)


async def render_metrics(runtime: Runtime) -> bytes:
    await refresh_database_gauges(runtime)
    return generate_latest(REGISTRY)
