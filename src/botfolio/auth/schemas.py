"""Request and response bodies of the auth routes. Unknown fields are refused (422); responses
never carry password hashes, token digests or TOTP seeds (the seed only once, at enrollment)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from botfolio.auth.models import UserStatus
from botfolio.auth.passwords import MAX_PASSWORD_LENGTH
from botfolio.auth.permissions import Permission, Role

TotpCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
RecoveryCodeText = Annotated[str, StringConstraints(min_length=8, max_length=40)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(Body):
    email: EmailStr
    password: Password
    totp_code: TotpCode | None = None
    recovery_code: RecoveryCodeText | None = None


class LoginResponse(Body):
    user_id: str
    role: Role
    csrf_token: str = Field(description="Echo it in X-CSRF-Token on every state-changing call.")
    expires_at: datetime
    two_factor_enabled: bool
    two_factor_enrollment_required: bool
    password_change_required: bool


class EnrollmentResponse(Body):
    secret: str = Field(description="The TOTP seed, shown this once; prefer the URI (QR code).")
    provisioning_uri: str


class CodeBody(Body):
    code: TotpCode


class RecoveryCodesResponse(Body):
    recovery_codes: list[str] = Field(description="Single-use codes, shown this once.")


class CreateTokenBody(Body):
    name: TokenName
    scopes: list[Permission] = Field(min_length=1)
    ttl_days: int | None = Field(default=None, ge=1, le=366)


class TokenView(Body):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedTokenResponse(TokenView):
    token: str = Field(description="The secret, shown this once; only its digest is stored.")


class UserView(Body):
    id: str
    email: str | None = Field(description="Only for callers allowed to read personal data.")
    role: Role
    status: UserStatus
    two_factor_enabled: bool
    locked_until: datetime | None
    password_change_required: bool
    created_at: datetime
    last_login_at: datetime | None


class MeView(UserView):
    permissions: list[Permission]


class ChangePasswordBody(Body):
    current_password: Password
    new_password: Password


class CreateUserBody(Body):
    email: EmailStr
    role: Role = Role.USER


class CreatedUserResponse(Body):
    user: UserView
    one_time_password: str = Field(description="Shown this once; the user should change it.")


class UpdateUserBody(Body):
    role: Role | None = None
    status: UserStatus | None = None
