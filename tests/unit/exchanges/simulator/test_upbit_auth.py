"""Upbit JWT checks, cross-checked against tokens that ccxt itself signs (no I/O)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import ccxt
import pytest

from botfolio.exchanges.simulator.upbit.auth import (
    NonceRegistry,
    check_query_hash,
    encode_jwt,
    query_string_of,
    verify_jwt,
)
from botfolio.exchanges.simulator.upbit.errors import UpbitError

SECRET = "upbit-secret-for-unit-tests"


def ccxt_signed(method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
    exchange = ccxt.upbit({"apiKey": "access", "secret": SECRET})
    signed: dict[str, Any] = exchange.sign(path, ["private"], method, params)
    return signed


def test_verify_jwt_when_ccxt_signed_get_accepts_and_query_hash_matches() -> None:
    signed = ccxt_signed("GET", "order", {"uuid": "abc", "identifier": "id 1"})

    claims = verify_jwt(signed["headers"]["Authorization"], SECRET)
    check_query_hash(claims, query_string_of(urlsplit(signed["url"]).query, None))

    assert claims["access_key"] == "access"


def test_verify_jwt_when_ccxt_signed_post_body_hash_matches() -> None:
    body = {
        "market": "KRW-BTC",
        "side": "bid",
        "volume": "0.01",
        "price": "100",
        "ord_type": "limit",
    }
    signed = ccxt_signed("POST", "orders", body)

    claims = verify_jwt(signed["headers"]["Authorization"], SECRET)

    check_query_hash(claims, query_string_of("", body))


def test_check_query_hash_when_parameters_changed_raises_invalid_query_payload() -> None:
    signed = ccxt_signed("GET", "order", {"uuid": "abc"})
    claims = verify_jwt(signed["headers"]["Authorization"], SECRET)

    with pytest.raises(UpbitError) as raised:
        check_query_hash(claims, "uuid=other")

    assert raised.value.name == "invalid_query_payload"


def test_verify_jwt_when_secret_differs_raises_jwt_verification() -> None:
    token = encode_jwt({"access_key": "access", "nonce": "n1"}, "another-secret")

    with pytest.raises(UpbitError) as raised:
        verify_jwt(f"Bearer {token}", SECRET)

    assert raised.value.name == "jwt_verification"
    assert raised.value.status == 401


def test_verify_jwt_when_nonce_missing_raises_jwt_verification() -> None:
    token = encode_jwt({"access_key": "access"}, SECRET)

    with pytest.raises(UpbitError):
        verify_jwt(f"Bearer {token}", SECRET)


def test_nonce_registry_when_nonce_reused_raises_nonce_used() -> None:
    nonces = NonceRegistry()
    nonces.use("access", "n1")

    with pytest.raises(UpbitError) as raised:
        nonces.use("access", "n1")

    assert raised.value.name == "nonce_used"
