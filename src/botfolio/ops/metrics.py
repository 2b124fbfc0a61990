"""Prometheus metrics shared by every role. Names follow `botfolio_<domain>_<what>_<unit>`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, Info

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "botfolio_http_requests_total",
    "HTTP requests served, by route template, method and status code.",
    ["route", "method", "status"],
)
HTTP_REQUEST_SECONDS = Histogram(
    "botfolio_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERY_SECONDS = Histogram(
    "botfolio_db_query_duration_seconds",
    "Database statement latency by SQL verb.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    "botfolio_http_requests_in_progress",
    "HTTP requests being served right now by this process.",
)
ACCESS_LOG_WRITE_FAILURES = Counter(
    "botfolio_access_log_write_failures_total",
    "API access-log records that could not be written (the request itself was still served).",
)
READY = Gauge(
    "botfolio_ready",
    "1 when the last readiness check found the database reachable and the schema at head.",
)
DATABASE_UP = Gauge(
    "botfolio_database_up",
    "1 when the last check could reach the database.",
)
METRICS_REFRESH_FAILURES = Counter(
    "botfolio_metrics_refresh_failures_total",
    "Scrapes whose database-backed gauges could not be refreshed, by source.",
    ["source"],
)
BUILD_INFO = Info("botfolio_build", "The running version, git commit and schema head.")
