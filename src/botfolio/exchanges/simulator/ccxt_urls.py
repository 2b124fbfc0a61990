"""Points a ccxt exchange instance at the simulator (or any local server speaking its dialect)."""

from __future__ import annotations

from typing import Any

from botfolio.exchanges.urls import point_at

SPOT_ONLY_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchMargins": False,
    "fetchCurrencies": False,
}


def point_ccxt_at_simulator(exchange: Any, base_url: str) -> Any:
    """Rewrite every `urls['api']` entry to `base_url` + its original path, make load_markets
    spot-only (one request) and turn ccxt's own retries off (a retry is re-signed, so for an
    order it is a second order). Call it after `set_sandbox_mode`, which replaces the URLs."""
    point_at(exchange, base_url)
    exchange.options.update(SPOT_ONLY_OPTIONS)
    exchange.options["maxRetriesOnFailure"] = 0
    exchange.options["adjustForTimeDifference"] = False
    return exchange
