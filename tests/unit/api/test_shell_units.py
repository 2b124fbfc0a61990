"""Pure pieces of the API shell: request ids, security headers, transport checks, strict bodies."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from botfolio.api.middleware import accepted_request_id, security_headers
from botfolio.api.observability import metric_method
from botfolio.api.schemas import StrictModel
from botfolio.api.server import ServeOptions, check_transport_security, is_loopback
from botfolio.errors import ConfigurationError


class Order(StrictModel):
    symbol: str
    quantity: int


def test_accepted_request_id_when_sane_keeps_it() -> None:
    assert accepted_request_id("abc-123_DEF.456:7") == "abc-123_DEF.456:7"


@pytest.mark.parametrize(
    "incoming",
    [None, "", "short", "has space inside", "x" * 129, "line\nbreak-injection", "é-unicode-id"],
)
def test_accepted_request_id_when_missing_or_unsafe_mints_a_new_one(incoming: str | None) -> None:
    minted = accepted_request_id(incoming)

    assert minted != incoming
    assert len(minted) == 32
    assert int(minted, 16) >= 0


def test_security_headers_when_https_include_hsts() -> None:
    headers = dict(security_headers("https", 600))

    assert headers["strict-transport-security"] == "max-age=600; includeSubDomains"
    assert headers["x-frame-options"] == "DENY"


def test_security_headers_when_plain_http_omit_hsts() -> None:
    assert "strict-transport-security" not in dict(security_headers("http", 600))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.1", "::1", "localhost"])
def test_is_loopback_when_local_is_true(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "api.example.com"])  # noqa: S104
def test_is_loopback_when_reachable_from_outside_is_false(host: str) -> None:
    assert not is_loopback(host)


def test_transport_check_when_public_plain_http_refuses_with_guidance() -> None:
    with pytest.raises(ConfigurationError, match="--allow-insecure-http"):
        check_transport_security(ServeOptions(host="0.0.0.0", port=8000))  # noqa: S104


def test_transport_check_when_insecure_http_allowed_passes() -> None:
    options = ServeOptions(host="0.0.0.0", port=8000, allow_insecure_http=True)  # noqa: S104

    check_transport_security(options)


def test_transport_check_when_only_cert_given_refuses() -> None:
    with pytest.raises(ConfigurationError, match="both"):
        check_transport_security(ServeOptions(host="127.0.0.1", port=1, tls_cert=Path("c.pem")))


def test_transport_check_when_tls_files_missing_refuses() -> None:
    options = ServeOptions(
        host="0.0.0.0",  # noqa: S104
        port=1,
        tls_cert=Path("/nonexistent/c.pem"),
        tls_key=Path("/nonexistent/k.pem"),
    )

    with pytest.raises(ConfigurationError, match="does not exist"):
        check_transport_security(options)


def test_serve_options_base_url_when_tls_is_https() -> None:
    options = ServeOptions(host="::1", port=8443, tls_cert=Path("c"), tls_key=Path("k"))

    assert options.base_url == "https://[::1]:8443"


def test_strict_model_when_unknown_field_rejects() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Order.model_validate({"symbol": "BTC/USDT", "quantity": 1, "price": 5})


def test_strict_model_when_types_would_need_coercion_rejects() -> None:
    with pytest.raises(ValidationError):
        Order.model_validate({"symbol": "BTC/USDT", "quantity": "1"})


def test_metric_method_when_unusual_is_grouped_as_other() -> None:
    assert metric_method("GET") == "GET"
    assert metric_method("BREW") == "OTHER"
