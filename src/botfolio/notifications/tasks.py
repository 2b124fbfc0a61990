"""Job handler of notification delivery (wired by `botfolio worker` through JOB_MODULES)."""

from __future__ import annotations

import random
from typing import Any

from botfolio.auth.context import RuntimeParts
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.notifications.delivery import DeliveryDeps, deliver_step
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders
from botfolio.notifications.service import DELIVER_KIND
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
    async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
        await deliver_step(
            deps, str(payload["notification_id"]), int(payload["step"]), ctx.worker_id
        )

    registry.register(DELIVER_KIND, deliver)


def register_jobs(registry: JobRegistry, runtime: RuntimeParts) -> None:
    register_delivery(registry, build_delivery_deps(runtime))
