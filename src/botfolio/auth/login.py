"""Password login with throttling, lockout and the second factor; every attempt is audited.

`authenticate` never raises for a refused login: it returns the refusal, so the caller can commit
the failure counter and the audit event first and only then answer 401/423.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.auth import repository, sessions, throttle, two_factor, users
from botfolio.auth.context import AuthContext
from botfolio.auth.errors import (
    CodeReusedError,
    InvalidSecondFactorError,
    SecondFactorRequiredError,
)
from botfolio.auth.models import User, UserStatus
from botfolio.errors import AccountLockedError, BotfolioError, InvalidCredentialsError


@dataclass(frozen=True)
class LoginRequest:
    email: str
    password: str
    totp_code: str | None = None
    recovery_code: str | None = None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class LoginOutcome:
    """Either `issued` (logged in) or `refusal` (the error to raise once the failure is saved)."""

    user: User | None = None
    issued: sessions.IssuedSession | None = None
    two_factor_enabled: bool = False
    refusal: BotfolioError | None = None


_BAD_CREDENTIALS = "wrong e-mail address or password"


async def authenticate(
    session: AsyncSession, ctx: AuthContext, request: LoginRequest
) -> LoginOutcome:
    index = users.email_index(ctx, request.email)
    user = await repository.user_by_email_index(session, index, for_update=True)
    if user is None:
        await ctx.passwords.burn_time_async(request.password)
        await _audit(session, ctx, request, None, "auth.login_failed", "unknown_account")
        return LoginOutcome(refusal=InvalidCredentialsError(_BAD_CREDENTIALS))
    now = ctx.clock.now()
    if throttle.is_locked(user, now):
        await ctx.passwords.burn_time_async(request.password)
        await _audit(session, ctx, request, user, "auth.login_refused", "account_locked")
        return LoginOutcome(refusal=_locked(user))
    if not await ctx.passwords.verify_async(user.password_hash, request.password):
        return await _fail(session, ctx, request, user, "bad_password")
    if user.status != UserStatus.ACTIVE:
        await _audit(session, ctx, request, user, "auth.login_failed", "account_disabled")
        return LoginOutcome(refusal=InvalidCredentialsError(_BAD_CREDENTIALS))
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = await ctx.passwords.hash_async(request.password)
    return await _second_factor_then_session(session, ctx, request, user)


async def _second_factor_then_session(
    session: AsyncSession, ctx: AuthContext, request: LoginRequest, user: User
) -> LoginOutcome:
    enabled = await two_factor.is_enabled(session, user.id)
    method = "password"
    if enabled:
        if not (request.totp_code or request.recovery_code):
            await _audit(session, ctx, request, user, "auth.login_failed", "second_factor_missing")
            return LoginOutcome(
                refusal=SecondFactorRequiredError("this account needs a TOTP or recovery code")
            )
        result = await two_factor.check_second_factor(
            session,
            ctx,
            user,
            totp_code=request.totp_code,
            recovery_code=request.recovery_code,
            actor=Actor(user.id, request.ip),
        )
        if not result.accepted:
            reason = "totp_reused" if result.reused else "bad_second_factor"
            return await _fail(session, ctx, request, user, reason)
        method = f"password+{result.method}"
    throttle.record_success(user, ctx.clock.now())
    issued = await sessions.issue_session(
        session, ctx, user, ip=request.ip, user_agent=request.user_agent
    )
    await _audit(
        session, ctx, request, user, "auth.login_succeeded", method, session_id=issued.record.id
    )
    return LoginOutcome(user=user, issued=issued, two_factor_enabled=enabled)


async def _fail(
    session: AsyncSession, ctx: AuthContext, request: LoginRequest, user: User, reason: str
) -> LoginOutcome:
    locked_now = throttle.record_failure(user, ctx.clock.now(), ctx.settings)
    await _audit(session, ctx, request, user, "auth.login_failed", reason)
    if locked_now:
        await _audit(session, ctx, request, user, "auth.account_locked", "too_many_failures")
        return LoginOutcome(refusal=_locked(user))
    if reason == "totp_reused":
        return LoginOutcome(
            refusal=CodeReusedError("this code was already used; wait for the next")
        )
    if reason == "bad_second_factor":
        return LoginOutcome(refusal=InvalidSecondFactorError("the second factor does not match"))
    return LoginOutcome(refusal=InvalidCredentialsError(_BAD_CREDENTIALS))


def _locked(user: User) -> AccountLockedError:
    until = user.locked_until.isoformat() if user.locked_until else None
    return AccountLockedError(
        "too many failed logins; the account is locked for now", locked_until=until
    )


async def _audit(
    session: AsyncSession,
    ctx: AuthContext,
    request: LoginRequest,
    user: User | None,
    action: str,
    reason: str,
    **extra: str,
) -> None:
    await record_event(
        session,
        ctx.clock,
        actor=Actor(user.id if user else None, request.ip),
        action=action,
        target_type="user",
        target_id=user.id if user else None,
        details={"reason": reason, **extra},
    )
