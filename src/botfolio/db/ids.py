"""Row ids are generated in Python (time-ordered UUIDs), so a row's id is known before insert.

Encrypted fields bind their ciphertext to the row id (associated data), which needs exactly that.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id() -> str:
    """A UUIDv7-style id: 48-bit millisecond timestamp, then random bits; sorts by creation time."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | rand
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return str(uuid.UUID(int=value))
