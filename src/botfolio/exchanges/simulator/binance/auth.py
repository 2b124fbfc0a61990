"""Binance request signing, verified exactly as the venue does (HMAC-SHA256 over the raw payload)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from botfolio.exchanges.simulator.binance.errors import (
    BinanceError,
    bad_signature,
    mandatory,
    outside_recv_window,
)

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
MAX_AHEAD_MS = 1000


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_payload(query_string: str, body: str) -> str:
    """Binance signs `totalParams`: the query string followed by the request body."""
    return query_string + body if query_string and body else query_string or body


def verify_signature(raw: str, secret: str) -> dict[str, str]:
    """Check `...&signature=<hex>` (signature last) and return the signed parameters."""
    if "signature=" not in raw:
        raise mandatory("signature")
    payload, _, signature = raw.rpartition("&signature=")
    if not payload and raw.startswith("signature="):
        payload, signature = "", raw.removeprefix("signature=")
    expected = sign(secret, payload)
    if not hmac.compare_digest(expected, signature.lower()):
        raise bad_signature()
    return dict(parse_qsl(payload, keep_blank_values=True))


def check_timestamp(params: dict[str, str], server_time_ms: int) -> None:
    """Reject requests more than 1 s ahead of the server or older than recvWindow."""
    timestamp = _integer(params, "timestamp", required=True) or 0
    recv_window = _integer(params, "recvWindow", required=False) or DEFAULT_RECV_WINDOW_MS
    if recv_window > MAX_RECV_WINDOW_MS or recv_window <= 0:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    if timestamp > server_time_ms + MAX_AHEAD_MS or server_time_ms - timestamp > recv_window:
        raise outside_recv_window()


def _integer(params: dict[str, str], name: str, *, required: bool) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise mandatory(name)
        return None
    try:
        return int(raw)
    except ValueError:
        raise mandatory(name) from None
