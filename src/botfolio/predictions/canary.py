"""Canary routing: a stable share of bots is served by the canary, decided by a hash of the bot id.

A bot always lands on the same side for a given family (its predictions stay comparable tick to
tick), and different families split bots independently. Requests without a bot id are routed by
their request id, so anonymous traffic still splits in the same proportion.
"""

from __future__ import annotations

import hashlib

_SCALE = float(1 << 64)


def canary_bucket(family: str, routing_key: str) -> float:
    """A number in [0, 1) fixed by (family, key): the first 8 bytes of sha256 as a fraction."""
    digest = hashlib.sha256(f"{family}\x00{routing_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def routes_to_canary(family: str, routing_key: str, share: float) -> bool:
    """True for about `share` of all keys; always the same answer for the same key and family."""
    if share <= 0.0:
        return False
    if share >= 1.0:
        return True
    return canary_bucket(family, routing_key) < share
