"""Order metrics: outcomes by venue (the operations guide's "order success rate")."""

from __future__ import annotations

from prometheus_client import Counter

ORDER_OUTCOMES = Counter(
    "botfolio_order_submissions_total",
    "Order submission outcomes by venue: confirmed, rejected, unknown, resubmitted.",
    ["venue", "outcome"],
)
RECONCILIATION_MISMATCHES = Counter(
    "botfolio_reconciliation_mismatches_total",
    "Differences found between BotFolio and a venue, by venue and kind.",
    ["venue", "kind"],
)
