"""Prometheus metrics shared by every role. Names follow `botfolio_<domain>_<what>_<unit>`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
