"""CCXT clients from settings: every client of a process shares one verifying TLS context."""

from __future__ import annotations

import ssl

from botfolio.config import VenueSettings
from botfolio.exchanges.ccxt_factory import build_ccxt_exchange


def test_build_when_two_accounts_share_one_verifying_context() -> None:
    venue = VenueSettings(ccxt_id="binance")
    first = build_ccxt_exchange(venue, "key-1", "secret-1")
    second = build_ccxt_exchange(venue, "key-2", "secret-2")

    assert first.ssl_context is second.ssl_context
    assert first.ssl_context.verify_mode is ssl.CERT_REQUIRED
    assert first.ssl_context.check_hostname
    assert (first.apiKey, second.apiKey) == ("key-1", "key-2")
