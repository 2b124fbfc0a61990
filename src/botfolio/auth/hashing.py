"""Random secrets and their SHA-256 digests, for values with enough entropy not to need argon2."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def digest_matches(value: str, expected_digest: str) -> bool:
    return hmac.compare_digest(sha256_hex(value), expected_digest)
