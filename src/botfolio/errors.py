"""The error taxonomy, organised by the reaction each error needs (see docs/architecture.md).

- TemporaryError: retry with backoff; the operation may succeed later.
- OperationalError: stop and alert an operator; retrying will not help.
- UserError family: reject the request and tell the caller; nothing changed.
HTTP status codes are mapped from these in exactly one place (`api/errors.py`).
"""

from __future__ import annotations

from typing import Any


class BotfolioError(Exception):
    """Base class. `code` is a stable machine-readable identifier."""

    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class TemporaryError(BotfolioError):
    code = "temporarily_unavailable"


class DatabaseUnavailableError(TemporaryError):
    code = "database_unavailable"


class OperationalError(BotfolioError):
    code = "operational_error"


class ConfigurationError(OperationalError):
    code = "configuration_error"


class LeaseLostError(OperationalError):
    """A deposed lease holder tried to write: its fencing token is stale."""

    code = "lease_lost"


class UserError(BotfolioError):
    code = "bad_request"


class ValidationFailedError(UserError):
    code = "validation_failed"


class NotFoundError(UserError):
    code = "not_found"


class ConflictError(UserError):
    code = "conflict"


class AuthenticationRequiredError(UserError):
    code = "authentication_required"


class InvalidCredentialsError(UserError):
    code = "invalid_credentials"


class AccountLockedError(UserError):
    code = "account_locked"


class PermissionDeniedError(UserError):
    code = "permission_denied"


class TwoFactorRequiredError(PermissionDeniedError):
    """A staff account without 2FA may only enroll."""

    code = "two_factor_enrollment_required"


class RateLimitedError(UserError):
    code = "rate_limited"
