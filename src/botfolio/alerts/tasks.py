"""Job handlers and periodic tasks of operator alerting (wired by `botfolio worker/scheduler`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botfolio.alerts.paging import process_due_alerts, send_info_digest
from botfolio.alerts.rules import evaluate_rules
from botfolio.alerts.service import DISPATCH_KIND
from botfolio.alerts.settings import alert_settings
from botfolio.auth.context import RuntimeParts
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry

EVALUATE_KIND = "alerts.evaluate"
DIGEST_KIND = "alerts.digest"


def register_jobs(registry: JobRegistry, runtime: RuntimeParts) -> None:
    policy = alert_settings(runtime.settings)

    async def dispatch(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.db.transaction() as session:
            await process_due_alerts(session, ctx.clock, policy)

    async def evaluate(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.db.transaction() as session:
            await evaluate_rules(session, ctx.clock, policy)
        async with ctx.db.transaction() as session:
            await process_due_alerts(session, ctx.clock, policy)

    async def digest(ctx: JobContext, payload: dict[str, Any]) -> None:
        slot = datetime.fromisoformat(str(payload["slot"]))
        async with ctx.db.transaction() as session:
            await send_info_digest(session, ctx.clock, policy, slot=slot)

    registry.register(DISPATCH_KIND, dispatch)
    registry.register(EVALUATE_KIND, evaluate)
    registry.register(DIGEST_KIND, digest)


def register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: RuntimeParts) -> None:
    policy = alert_settings(runtime.settings)
    tasks.enqueue_every(EVALUATE_KIND, policy.evaluate_interval_seconds, EVALUATE_KIND)
    tasks.enqueue_every(DIGEST_KIND, policy.digest_interval_seconds, DIGEST_KIND)
