"""TOTP enrollment and confirmation, second-factor checks at login, single-use recovery codes.

The TOTP seed is stored encrypted (AES-GCM bound to its row); recovery codes are shown once and
stored as SHA-256 digests salted with the user id. 2FA is mandatory for staff: only plain users
may turn it off; an admin may reset it for anyone (account recovery), which is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.auth import repository, totp
from botfolio.auth.context import AuthContext
from botfolio.auth.errors import (
    InvalidConfirmationCodeError,
    InvalidSecondFactorError,
    StaffTwoFactorMandatoryError,
    TwoFactorAlreadyEnabledError,
)
from botfolio.auth.hashing import sha256_hex
from botfolio.auth.models import TOTP_SECRET_COLUMN, RecoveryCode, TotpCredential, User
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError

TOTP_TABLE, TOTP_COLUMN = TOTP_SECRET_COLUMN.table, TOTP_SECRET_COLUMN.column
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
_RECOVERY_GROUPS, _RECOVERY_GROUP_LEN = 4, 4


class SecondFactor(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class Enrollment:
    secret: str
    provisioning_uri: str


@dataclass(frozen=True)
class SecondFactorResult:
    accepted: bool
    method: SecondFactor | None = None
    reused: bool = False


def _secret_of(ctx: AuthContext, credential: TotpCredential) -> str:
    return ctx.cipher.decrypt(
        credential.secret_encrypted, table=TOTP_TABLE, column=TOTP_COLUMN, row_id=credential.id
    )


async def is_enabled(session: AsyncSession, user_id: str) -> bool:
    credential = await repository.totp_of(session, user_id)
    return credential is not None and credential.confirmed


async def begin_enrollment(
    session: AsyncSession, ctx: AuthContext, user: User, *, account_label: str, actor: Actor
) -> Enrollment:
    """Create (or replace an unconfirmed) TOTP seed; 2FA is on only after `confirm_enrollment`."""
    existing = await repository.totp_of(session, user.id)
    if existing is not None and existing.confirmed:
        raise TwoFactorAlreadyEnabledError("two-factor authentication is already enabled")
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    secret = totp.new_secret()
    credential_id = new_id()
    session.add(
        TotpCredential(
            id=credential_id,
            user_id=user.id,
            secret_encrypted=ctx.cipher.encrypt(
                secret, table=TOTP_TABLE, column=TOTP_COLUMN, row_id=credential_id
            ),
            confirmed=False,
            confirmed_at=None,
            last_used_step=None,
            created_at=ctx.clock.now(),
        )
    )
    await session.flush()
    await _audit(session, ctx, actor, "auth.2fa_enrollment_started", user)
    uri = totp.provisioning_uri(secret, account=account_label, issuer=ctx.settings.totp_issuer)
    return Enrollment(secret=secret, provisioning_uri=uri)


async def confirm_enrollment(
    session: AsyncSession, ctx: AuthContext, user: User, code: str, *, actor: Actor
) -> list[str]:
    """Turn 2FA on with a first valid code; returns the recovery codes, shown this once."""
    credential = await repository.totp_of(session, user.id)
    if credential is None:
        raise ConflictError("start the enrollment first (POST /v1/auth/2fa/enroll)")
    if credential.confirmed:
        raise TwoFactorAlreadyEnabledError("two-factor authentication is already enabled")
    now = ctx.clock.now()
    result = totp.check_code(_secret_of(ctx, credential), code, now, credential.last_used_step)
    if result.check is not totp.CodeCheck.VALID:
        raise InvalidConfirmationCodeError("the code does not match; check the device clock")
    credential.confirmed, credential.confirmed_at = True, now
    credential.last_used_step = result.step
    codes = await _replace_recovery_codes(session, ctx, user)
    await _audit(session, ctx, actor, "auth.2fa_enabled", user)
    return codes


async def check_second_factor(
    session: AsyncSession,
    ctx: AuthContext,
    user: User,
    *,
    totp_code: str | None,
    recovery_code: str | None,
    actor: Actor,
) -> SecondFactorResult:
    """Check a TOTP code (±1 step, never a spent step) or burn one recovery code."""
    if recovery_code:
        return await _use_recovery_code(session, ctx, user, recovery_code, actor)
    credential = await repository.totp_of(session, user.id)
    if credential is None or not credential.confirmed or not totp_code:
        return SecondFactorResult(accepted=False)
    result = totp.check_code(
        _secret_of(ctx, credential), totp_code, ctx.clock.now(), credential.last_used_step
    )
    if result.check is totp.CodeCheck.VALID and result.step is not None:
        if await repository.claim_totp_step(session, credential.id, result.step):
            return SecondFactorResult(accepted=True, method=SecondFactor.TOTP)
        return SecondFactorResult(accepted=False, reused=True)
    return SecondFactorResult(accepted=False, reused=result.check is totp.CodeCheck.REUSED)


async def disable(
    session: AsyncSession, ctx: AuthContext, user: User, totp_code: str, *, actor: Actor
) -> None:
    """A plain user turns 2FA off, proving possession with a current code first."""
    if ctx.is_staff(user.role):
        raise StaffTwoFactorMandatoryError("two-factor authentication is mandatory for staff")
    result = await check_second_factor(
        session, ctx, user, totp_code=totp_code, recovery_code=None, actor=actor
    )
    if not result.accepted:
        raise InvalidSecondFactorError("the code does not match")
    await remove_all(session, user.id)
    await _audit(session, ctx, actor, "auth.2fa_disabled", user)


async def remove_all(session: AsyncSession, user_id: str) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))


def _recovery_digest(user_id: str, code: str) -> str:
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return sha256_hex(f"{user_id}:{normalized}")


def _new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LEN))
        for _ in range(_RECOVERY_GROUPS)
    )
    return "-".join(groups)


async def _replace_recovery_codes(session: AsyncSession, ctx: AuthContext, user: User) -> list[str]:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(ctx.settings.recovery_code_count)]
    now = ctx.clock.now()
    for code in codes:
        session.add(
            RecoveryCode(
                id=new_id(),
                user_id=user.id,
                code_hash=_recovery_digest(user.id, code),
                used_at=None,
                created_at=now,
            )
        )
    await session.flush()
    return codes


async def _use_recovery_code(
    session: AsyncSession, ctx: AuthContext, user: User, code: str, actor: Actor
) -> SecondFactorResult:
    digest = _recovery_digest(user.id, code)
    if not await repository.claim_recovery_code(session, user.id, digest, ctx.clock.now()):
        return SecondFactorResult(accepted=False)
    remaining = await repository.count_unused_recovery_codes(session, user.id)
    await _audit(session, ctx, actor, "auth.recovery_code_used", user, {"remaining": remaining})
    return SecondFactorResult(accepted=True, method=SecondFactor.RECOVERY_CODE)


async def _audit(
    session: AsyncSession,
    ctx: AuthContext,
    actor: Actor,
    action: str,
    user: User,
    details: dict[str, object] | None = None,
) -> None:
    await record_event(
        session,
        ctx.clock,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.id,
        details=details,
    )
