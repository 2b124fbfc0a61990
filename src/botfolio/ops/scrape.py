"""What a /metrics scrape does: refresh the database-backed gauges, then render the registry.

The refresh is bounded by a short timeout and never fails the scrape: when the database is down,
the process metrics (and `botfolio_ready 0`) are exactly what the operator needs to see.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import REGISTRY, generate_latest

from botfolio.logs import get_logger
from botfolio.ops.health import build_facts, check_readiness
from botfolio.ops.metrics import METRICS_REFRESH_FAILURES
from botfolio.runtime import Runtime

REFRESH_TIMEOUT_SECONDS = 2.0

log = get_logger(__name__)

JobMetricsRefresher = Callable[[Any, Any], Awaitable[None]]


def job_metrics_refresher() -> JobMetricsRefresher | None:
    """`botfolio.jobs.metrics.refresh_job_metrics(session, clock)`, once the jobs work ships it."""
    try:
        module = importlib.import_module("botfolio.jobs.metrics")
    except ImportError:
        return None
    refresher: JobMetricsRefresher | None = getattr(module, "refresh_job_metrics", None)
    return refresher


async def refresh_database_gauges(runtime: Runtime) -> None:
    build_facts()
    readiness = await check_readiness(runtime.db, limit_seconds=REFRESH_TIMEOUT_SECONDS)
    if not readiness.ready:
        METRICS_REFRESH_FAILURES.labels(source="readiness").inc()
        return
    refresher = job_metrics_refresher()
    if refresher is None:
        return
    try:
        async with asyncio.timeout(REFRESH_TIMEOUT_SECONDS):
            async with runtime.db.transaction() as session:
                await refresher(session, runtime.clock)
    except Exception as exc:
        METRICS_REFRESH_FAILURES.labels(source="jobs").inc()
        log.warning("metrics.refresh_failed", source="jobs", error_type=type(exc).__name__)


async def render_metrics(runtime: Runtime) -> bytes:
    await refresh_database_gauges(runtime)
    return generate_latest(REGISTRY)
