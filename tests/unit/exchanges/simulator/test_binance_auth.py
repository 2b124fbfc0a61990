"""Binance signature and timestamp checks, against the venue's documented example (no I/O)."""

from __future__ import annotations

import pytest

from botfolio.exchanges.simulator.binance.auth import (
    check_timestamp,
    sign,
    signed_payload,
    verify_signature,
)
from botfolio.exchanges.simulator.binance.errors import BinanceError

# The HMAC example from Binance's spot API documentation.
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_QUERY = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
    "&recvWindow=5000&timestamp=1499827319559"
)
DOC_SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_sign_when_given_documented_example_matches_binance_signature() -> None:
    assert sign(DOC_SECRET, DOC_QUERY) == DOC_SIGNATURE


def test_verify_signature_when_valid_returns_parameters() -> None:
    params = verify_signature(f"{DOC_QUERY}&signature={DOC_SIGNATURE}", DOC_SECRET)

    assert params["symbol"] == "LTCBTC"
    assert params["timestamp"] == "1499827319559"


@pytest.mark.parametrize(
    "raw",
    [
        f"{DOC_QUERY}&signature={'0' * 64}",
        f"{DOC_QUERY.replace('quantity=1', 'quantity=2')}&signature={DOC_SIGNATURE}",
        f"signature={DOC_SIGNATURE}&{DOC_QUERY}",
    ],
)
def test_verify_signature_when_tampered_or_not_last_raises_1022(raw: str) -> None:
    with pytest.raises(BinanceError) as raised:
        verify_signature(raw, DOC_SECRET)

    assert raised.value.code == -1022


def test_verify_signature_when_missing_raises_mandatory_1102() -> None:
    with pytest.raises(BinanceError) as raised:
        verify_signature(DOC_QUERY, DOC_SECRET)

    assert raised.value.code == -1102


def test_signed_payload_when_query_and_body_concatenates_them() -> None:
    assert signed_payload("symbol=X", "side=BUY") == "symbol=Xside=BUY"
    assert signed_payload("", "side=BUY") == "side=BUY"


@pytest.mark.parametrize(
    ("timestamp", "recv_window", "ok"),
    [
        (10_000, None, True),
        (11_000, None, True),
        (11_001, None, False),
        (5_000, None, True),
        (4_999, None, False),
        (4_999, "60000", True),
    ],
)
def test_check_timestamp_when_around_the_window_accepts_or_raises_1021(
    timestamp: int, recv_window: str | None, ok: bool
) -> None:
    params = {"timestamp": str(timestamp)} | ({"recvWindow": recv_window} if recv_window else {})

    if ok:
        check_timestamp(params, server_time_ms=10_000)
    else:
        with pytest.raises(BinanceError) as raised:
            check_timestamp(params, server_time_ms=10_000)
        assert raised.value.code == -1021


def test_check_timestamp_when_recv_window_too_large_raises_1131() -> None:
    with pytest.raises(BinanceError) as raised:
        check_timestamp({"timestamp": "10000", "recvWindow": "60001"}, server_time_ms=10_000)

    assert raised.value.code == -1131
