"""The exchange error taxonomy, by the reaction each needs; adapters raise only these.

- VenueUnavailableError / VenueRateLimitedError: temporary; safe reads retry, the breaker counts.
- CredentialsRejectedError: stop trading the account, ask the user to re-link, alert an operator.
- OrderRejectedError: final; the venue's reply proves the order was not placed.
- OrderOutcomeUnknownError: the order may or may not exist; settle it by asking the venue.
- OrderNotFoundOnVenueError: the venue says no order has this id.
"""

from __future__ import annotations

from enum import StrEnum

from botfolio.errors import OperationalError, TemporaryError, UserError


class ExchangeError(Exception):
    """Mixin marker: every error raised by an exchange adapter is an ExchangeError."""


class VenueUnavailableError(TemporaryError, ExchangeError):
    code = "venue_unavailable"


class VenueRateLimitedError(VenueUnavailableError):
    code = "venue_rate_limited"


class CredentialsRejectedError(OperationalError, ExchangeError):
    """The venue refused the API key (expired, revoked or wrong)."""

    code = "exchange_credentials_rejected"


class RejectReason(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_ORDER = "invalid_order"
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"
    MARKET_CLOSED = "market_closed"
    OTHER = "other"


class OrderRejectedError(UserError, ExchangeError):
    code = "order_rejected"

    def __init__(self, message: str, reason: RejectReason = RejectReason.OTHER) -> None:
        super().__init__(message, reason=reason.value)
        self.reason = reason


class OrderOutcomeUnknownError(TemporaryError, ExchangeError):
    code = "order_outcome_unknown"


class OrderNotFoundOnVenueError(UserError, ExchangeError):
    code = "order_not_found_on_venue"


class UnsupportedOperationError(UserError, ExchangeError):
    code = "unsupported_operation"
