"""Templates in Korean and English, destination validation, and the rate-limit bucket."""

from __future__ import annotations

import pytest

from botfolio.errors import ValidationFailedError
from botfolio.notifications.channels import validate_destination
from botfolio.notifications.events import render
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import scrub

FILL = {"symbol": "BTC/KRW", "side": "buy", "amount": "0.1", "price": "90000000", "bot": "b1"}


def test_render_when_language_is_korean_uses_the_korean_template() -> None:
    message = render("order.filled", FILL, "ko")

    assert message.title == "주문 체결: BTC/KRW"
    assert "체결되었습니다" in message.body


def test_render_when_language_unknown_or_field_missing_falls_back_without_failing() -> None:
    message = render("order.rejected", {"symbol": "ETH/USDT"}, "fr")

    assert message.title == "Order rejected: ETH/USDT"
    assert "?" in message.body


def test_render_when_event_unknown_is_refused() -> None:
    with pytest.raises(ValidationFailedError):
        render("order.exploded", {}, "en")


@pytest.mark.parametrize(
    ("kind", "destination"),
    [
        ("email", "not-an-address"),
        ("sms", "https://example.com/hook"),
        ("telegram", "slack://a/b/c"),
        ("webhook", "ftp://example.com"),
        ("pager", "x"),
        ("email", None),
    ],
)
def test_validate_destination_when_it_does_not_fit_the_kind_refuses_it(
    kind: str, destination: str | None
) -> None:
    with pytest.raises(ValidationFailedError):
        validate_destination(kind, destination)


def test_validate_destination_when_valid_returns_it_and_in_app_needs_none() -> None:
    assert validate_destination("email", " a@example.com ") == "a@example.com"
    assert validate_destination("sms", "twilio://sid:tok@+1555/+1666") is not None
    assert validate_destination("in_app", None) is None


def test_rate_limiter_when_bucket_is_empty_books_the_next_token_in_order() -> None:
    now = [100.0]
    limiter = ChannelRateLimiter({"sms": 1.0}, max_wait_seconds=5.0, monotonic=lambda: now[0])

    waits = [limiter.reserve("sms") for _ in range(3)]
    unlimited = limiter.reserve("webhook")

    assert waits == [0.0, 1.0, 2.0]
    assert unlimited == 0.0


def test_rate_limiter_when_wait_exceeds_bound_does_not_book_a_token() -> None:
    now = [0.0]
    limiter = ChannelRateLimiter({"sms": 0.1}, max_wait_seconds=1.0, monotonic=lambda: now[0])

    assert limiter.reserve("sms") == 0.0
    assert limiter.reserve("sms") > 1.0
    now[0] = 10.0
    assert limiter.reserve("sms") == 0.0


def test_scrub_when_error_quotes_the_destination_hides_it() -> None:
    assert scrub("failed to reach +15551234567", "+15551234567") == "failed to reach <destination>"
