"""Prometheus metrics of the job queue; gauges are refreshed from the table on each scrape.

Gauges read the table (not process counters) so any API replica reports the same queue truth,
whichever worker did the work. Counters are per worker process.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.jobs import repository
from botfolio.jobs.models import JobState

JOB_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

QUEUE_DEPTH = Gauge(
    "botfolio_jobs_queue_depth",
    "Jobs waiting or running, by kind and state (queued, running).",
    ["kind", "state"],
)
OLDEST_QUEUED_AGE = Gauge(
    "botfolio_jobs_oldest_queued_age_seconds",
    "Seconds since the longest-waiting due job became due; 0 when none waits.",
)
DEAD_LETTER_TOTAL = Gauge(
    "botfolio_jobs_dead_letter_total",
    "Dead-lettered jobs kept in the table, by kind.",
    ["kind"],
)
JOBS_PROCESSED = Counter(
    "botfolio_jobs_processed_total",
    "Jobs this worker finished successfully, by kind.",
    ["kind"],
)
JOBS_FAILED = Counter(
    "botfolio_jobs_failed_total",
    "Job attempts that raised, by kind and outcome (retry, dead).",
    ["kind", "outcome"],
)
JOB_DURATION_SECONDS = Histogram(
    "botfolio_jobs_duration_seconds",
    "Handler run time per attempt, by kind.",
    ["kind"],
    buckets=JOB_DURATION_BUCKETS,
)
SCHEDULER_IS_LEADER = Gauge(
    "botfolio_scheduler_is_leader",
    "1 while this scheduler process holds the leader lease, else 0.",
    ["lease"],
)

_DEPTH_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)
_seen_depth_labels: set[tuple[str, str]] = set()
_seen_dead_kinds: set[str] = set()


async def refresh_job_metrics(session: AsyncSession, clock: Clock) -> None:
    """Set the queue gauges from the table. Call once per /metrics scrape (two small queries).

    Label sets that disappeared since the last scrape are set to 0 rather than dropped, so an
    alert on a kind's depth resolves instead of going stale.
    """
    depth: dict[tuple[str, str], int] = {}
    dead: dict[str, int] = {}
    for row in await repository.count_by_kind_and_state(session):
        if row.state in _DEPTH_STATES:
            depth[(row.kind, row.state)] = row.count
        elif row.state == JobState.DEAD:
            dead[row.kind] = row.count
    for labels in _seen_depth_labels - depth.keys():
        QUEUE_DEPTH.labels(*labels).set(0)
    for labels, count in depth.items():
        QUEUE_DEPTH.labels(*labels).set(count)
    _seen_depth_labels.update(depth)
    for kind in _seen_dead_kinds - dead.keys():
        DEAD_LETTER_TOTAL.labels(kind).set(0)
    for kind, count in dead.items():
        DEAD_LETTER_TOTAL.labels(kind).set(count)
    _seen_dead_kinds.update(dead)
    now = clock.now()
    oldest = await repository.oldest_due_queued_run_after(session, now)
    OLDEST_QUEUED_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
