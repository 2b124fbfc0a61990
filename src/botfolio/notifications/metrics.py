"""Prometheus metrics of notification delivery; gauges are refreshed from the tables on scrape.

Success rate by channel = rate(attempts{outcome="delivered"}) / rate(attempts) per channel.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.notifications import repository
from botfolio.notifications.models import NotificationStatus

ATTEMPTS = Counter(
    "botfolio_notification_attempts_total",
    "Delivery attempts by channel kind and outcome (delivered, failed, skipped).",
    ["channel", "outcome"],
)
SEND_SECONDS = Histogram(
    "botfolio_notification_send_seconds",
    "Time one send took, by channel kind.",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DELIVERY_LATENCY_SECONDS = Histogram(
    "botfolio_notification_delivery_latency_seconds",
    "From queued to delivered, by channel kind that delivered.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
DEAD_LETTERED = Counter(
    "botfolio_notifications_dead_lettered_total",
    "Notifications no channel could deliver (this process).",
)
QUEUE_DEPTH = Gauge(
    "botfolio_notifications_queue_depth", "Notifications not yet delivered nor dead-lettered."
)
OLDEST_UNDELIVERED_AGE = Gauge(
    "botfolio_notifications_oldest_undelivered_age_seconds",
    "Age of the oldest notification still queued; 0 when none is.",
)
DEAD_TOTAL = Gauge("botfolio_notifications_dead", "Dead-lettered notifications kept in the table.")


async def refresh_notification_metrics(session: AsyncSession, clock: Clock) -> None:
    """Set the gauges from the table (call once per /metrics scrape)."""
    counts = await repository.count_by_status(session)
    QUEUE_DEPTH.set(counts.get(NotificationStatus.QUEUED, 0))
    DEAD_TOTAL.set(counts.get(NotificationStatus.DEAD, 0))
    oldest = await repository.oldest_queued_created_at(session)
    age = (clock.now() - oldest).total_seconds() if oldest is not None else 0.0
    OLDEST_UNDELIVERED_AGE.set(max(0.0, age))
