"""Upbit JWT (HS256/HS512) verification: signature, nonce reuse and the query hash, as the venue does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import OrderedDict
from typing import Any
from urllib.parse import unquote

from botfolio.exchanges.simulator.upbit.errors import (
    invalid_query_payload,
    jwt_verification,
    nonce_used,
)

_ALGORITHMS = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_jwt(claims: dict[str, Any], secret: str, algorithm: str = "HS256") -> str:
    """What a client does; used by tests and tooling to build tokens."""
    header = b64url_encode(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    payload = b64url_encode(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(secret.encode(), signing_input, _ALGORITHMS[algorithm]).digest()
    return f"{header}.{payload}.{b64url_encode(signature)}"


def unverified_claims(authorization: str | None) -> dict[str, Any] | None:
    """Claims of a Bearer token before any check (to find whose key it is), or None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    parts = authorization.removeprefix("Bearer ").split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def verify_jwt(authorization: str, secret: str) -> dict[str, Any]:
    parts = authorization.removeprefix("Bearer ").split(".")
    try:
        header = json.loads(b64url_decode(parts[0]))
        digest = _ALGORITHMS[header["alg"]]
        signature = b64url_decode(parts[2])
    except (ValueError, KeyError, TypeError, IndexError):
        raise jwt_verification() from None
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), digest).digest()
    if not hmac.compare_digest(expected, signature):
        raise jwt_verification()
    claims = unverified_claims(authorization)
    if claims is None or not claims.get("nonce"):
        raise jwt_verification()
    return claims


def query_string_of(raw_query: str, json_body: Any) -> str:
    """The text Upbit hashes: the unescaped query string, or the JSON body as key=value pairs."""
    if raw_query:
        return unquote(raw_query)
    if isinstance(json_body, dict) and json_body:
        return "&".join(f"{k}={v}" for k, v in json_body.items())
    return ""


def check_query_hash(claims: dict[str, Any], query: str) -> None:
    if not query:
        return
    if claims.get("query_hash_alg", "SHA512") != "SHA512":
        raise invalid_query_payload()
    expected = hashlib.sha512(query.encode()).hexdigest()
    if not hmac.compare_digest(expected, str(claims.get("query_hash", ""))):
        raise invalid_query_payload()


class NonceRegistry:
    """Remembers recent nonces per access key; a replayed token is refused."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity

    def use(self, access_key: str, nonce: str) -> None:
        key = (access_key, nonce)
        if key in self._seen:
            raise nonce_used()
        self._seen[key] = None
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
