"""Prometheus metrics of the prediction engine (per process; scraped from each replica)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)

PREDICTION_LATENCY = Histogram(
    "botfolio_prediction_latency_seconds",
    "Model scoring time per request, by family and serving role (champion, canary).",
    ["family", "role"],
    buckets=LATENCY_BUCKETS,
)
REQUEST_LATENCY = Histogram(
    "botfolio_prediction_request_seconds",
    "Whole request time (candles, features, scoring, storage), by family.",
    ["family"],
    buckets=LATENCY_BUCKETS,
)
PREDICTION_ERRORS = Counter(
    "botfolio_prediction_errors_total",
    "Failed prediction attempts, by family and reason (raised, invalid_output, unavailable, ...).",
    ["family", "reason"],
)
PREDICTIONS_SERVED = Counter(
    "botfolio_predictions_served_total",
    "Requests answered, by family and serving role.",
    ["family", "role"],
)
ROLLBACKS = Counter(
    "botfolio_prediction_rollbacks_total",
    "Automatic rollbacks, by family and trigger.",
    ["family", "trigger"],
)
SERVING_REVISION = Gauge(
    "botfolio_prediction_registry_revision",
    "Registry revision the engine in this process serves, by family.",
    ["family"],
)
QUEUED_REQUESTS = Counter(
    "botfolio_prediction_requests_queued_total",
    "Requests held as durable jobs because no model could serve, by family.",
    ["family"],
)
