"""Auth-specific refinements of the error taxonomy; api/errors.py maps them by their base class."""

from __future__ import annotations

from botfolio.errors import (
    AuthenticationRequiredError,
    ConflictError,
    InvalidCredentialsError,
    PermissionDeniedError,
    ValidationFailedError,
)


class SecondFactorRequiredError(AuthenticationRequiredError):
    """The password was right; the account has 2FA, so a TOTP or recovery code must come too."""

    code = "second_factor_required"


class InvalidSecondFactorError(InvalidCredentialsError):
    code = "invalid_second_factor"


class CodeReusedError(InvalidSecondFactorError):
    """A TOTP code of a time step already used: refused, as RFC 6238 section 5.2 asks."""

    code = "totp_code_reused"


class TwoFactorAlreadyEnabledError(ConflictError):
    code = "two_factor_already_enabled"


class CsrfTokenInvalidError(PermissionDeniedError):
    code = "csrf_token_invalid"


class StaffTwoFactorMandatoryError(PermissionDeniedError):
    code = "two_factor_mandatory_for_staff"


class InvalidConfirmationCodeError(ValidationFailedError):
    """A wrong code while confirming enrollment: the caller is logged in, so not a 401."""

    code = "invalid_totp_code"


class ScopeNotAllowedError(PermissionDeniedError):
    code = "scope_not_allowed"


class InvalidCurrentPasswordError(ValidationFailedError):
    """Wrong current password on a password change; the caller is logged in, so not a 401."""

    code = "invalid_current_password"
