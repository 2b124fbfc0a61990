"""Deterministic client order ids: the same intent always gets the same id, so a retried tick or
a resubmission can never become a second order on the venue."""

from __future__ import annotations

import base64
import hashlib

from botfolio.exchanges.port import ClientOrderId

PREFIX = "bf"
LENGTH = 32  # Binance allows 36, Upbit more; stay under both


def client_order_id_for(*parts: str) -> ClientOrderId:
    """`client_order_id_for(bot_id, tick_at.isoformat(), symbol, side)` -> 'bf' + 30 base32 chars."""
    if not parts or any(not p for p in parts):
        raise ValueError("a client order id needs non-empty parts")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    body = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return ClientOrderId(PREFIX + body[: LENGTH - len(PREFIX)])
