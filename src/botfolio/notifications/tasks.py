"""Job handler and periodic task of notification delivery (wired through JOB_MODULES)."""

from __future__ import annotations

import random
from typing import Any

from botfolio.auth.context import RuntimeParts
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.notifications.delivery import DeliveryDeps, dispatch
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders
from botfolio.notifications.service import DISPATCH_KIND
from botfolio.notifications.settings import NotificationSettings, notification_settings


def build_delivery_deps(
    runtime: RuntimeParts, settings: NotificationSettings | None = None
) -> DeliveryDeps:
    config = settings or notification_settings(runtime.settings)
    return DeliveryDeps(
        db=runtime.db,
        cipher=runtime.cipher,
        clock=runtime.clock,
        settings=config,
        senders=ChannelSenders(config),
        limiter=ChannelRateLimiter(
            config.rate_per_second, max_wait_seconds=config.rate_limit_max_wait_seconds
        ),
        rng=random.Random(),  # noqa: S311 - backoff jitter, not security
    )


def register_delivery(registry: JobRegistry, deps: DeliveryDeps) -> None:
    async def run_dispatch(ctx: JobContext, payload: dict[str, Any]) -> None:
        await dispatch(deps, ctx.worker_id)

    registry.register(DISPATCH_KIND, run_dispatch)


def register_jobs(registry: JobRegistry, runtime: RuntimeParts) -> None:
    register_delivery(registry, build_delivery_deps(runtime))


def register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: RuntimeParts) -> None:
    """The safety net: a dispatch at least every interval, whatever woke (or failed to wake) it."""
    interval = notification_settings(runtime.settings).dispatch_interval_seconds
    tasks.enqueue_every(DISPATCH_KIND, interval, DISPATCH_KIND)
