"""Building CCXT clients from settings: spot-only options, our retries only, optional base URL.

A `base_url` (for example our simulator on loopback) replaces the scheme and host of every API
URL CCXT knows for the venue while keeping each path, so CCXT itself runs unmodified.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import ccxt.async_support as ccxt

from botfolio.config import VenueSettings
from botfolio.errors import ConfigurationError
from botfolio.exchanges.urls import point_at

_SPOT_ONLY: dict[str, dict[str, Any]] = {
    "binance": {
        "fetchMarkets": {"types": ["spot"]},
        "fetchMargins": False,
        "fetchCurrencies": False,
        "defaultType": "spot",
        "fetchOpenOrders": {"warnWithoutSymbol": False},
    },
}


def build_ccxt_exchange(venue: VenueSettings, api_key: str = "", secret: str = "") -> Any:
    exchange_class = getattr(ccxt, venue.ccxt_id, None)
    if exchange_class is None:
        raise ConfigurationError(f"CCXT has no exchange {venue.ccxt_id!r}")
    exchange = exchange_class(
        {
            "apiKey": api_key,
            "secret": secret,
            "timeout": venue.timeout_ms,
            "enableRateLimit": False,  # our shared limiter paces requests across workers
            "options": {**_SPOT_ONLY.get(venue.ccxt_id, {}), "maxRetriesOnFailure": 0},
        }
    )
    exchange.ssl_context = verifying_context(exchange.cafile)
    if venue.base_url:
        point_at(exchange, venue.base_url)
    return exchange


@cache
def verifying_context(cafile: str) -> ssl.SSLContext:
    """The context CCXT would build on each client's first request (certificate verification
    with its CA bundle), built once per process: loading the bundle costs ~15 ms of CPU, and a
    worker holds a client per linked account."""
    return ssl.create_default_context(cafile=cafile)
