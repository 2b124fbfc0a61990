"""Auth routes: login/logout, 2FA enrollment, API tokens; `/v1/me` and `/v1/users` come from
`users_endpoints` and are included here, so the app sees one auth router."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from botfolio.audit.service import Actor, record_event
from botfolio.auth import login, sessions, tokens, two_factor, users
from botfolio.auth.dependencies import (
    UnitOfWork,
    auth_context,
    public,
    require,
    require_enrollment_allowed,
    runtime_of,
    source_ip,
)
from botfolio.auth.models import ApiToken
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import AuthMethod, Principal
from botfolio.auth.repository import tokens_of
from botfolio.auth.schemas import (
    CodeBody,
    CreatedTokenResponse,
    CreateTokenBody,
    EnrollmentResponse,
    LoginBody,
    LoginResponse,
    RecoveryCodesResponse,
    TokenView,
)
from botfolio.auth.users_endpoints import router as users_router
from botfolio.errors import ConflictError

router = APIRouter(tags=["auth"])
router.include_router(users_router)

Enrolling = Annotated[Principal, Depends(require_enrollment_allowed)]
TokenOwner = Annotated[Principal, Depends(require(Permission.TOKENS_MANAGE_OWN))]
PlainUser = Annotated[Principal, Depends(require(Permission.TWO_FACTOR_DISABLE_OWN))]


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


@router.post("/v1/auth/login", response_model=LoginResponse, dependencies=[Depends(public)])
async def login_with_password(
    body: LoginBody, request: Request, response: Response
) -> LoginResponse:
    """Password, then the second factor when the account has one; sets the session cookie.

    Runs its own transaction so a refused login still commits its failure count and audit event.
    """
    ctx = auth_context(request)
    attempt = login.LoginRequest(
        email=body.email,
        password=body.password,
        totp_code=body.totp_code,
        recovery_code=body.recovery_code,
        ip=source_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    async with runtime_of(request).db.transaction() as session:
        outcome = await login.authenticate(session, ctx, attempt)
    if outcome.refusal is not None:
        raise outcome.refusal
    assert outcome.user is not None and outcome.issued is not None  # noqa: S101 - success
    _set_session_cookie(request, response, outcome.issued.token, ctx.settings.session_ttl_seconds)
    return LoginResponse(
        user_id=outcome.user.id,
        role=outcome.user.role,
        csrf_token=outcome.issued.csrf_token,
        expires_at=outcome.issued.record.expires_at,
        two_factor_enabled=outcome.two_factor_enabled,
        two_factor_enrollment_required=ctx.is_staff(outcome.user.role)
        and not outcome.two_factor_enabled,
        password_change_required=outcome.user.password_change_required,
    )


def _set_session_cookie(request: Request, response: Response, token: str, ttl: int) -> None:
    response.set_cookie(
        sessions.SESSION_COOKIE,
        token,
        max_age=ttl,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    response: Response,
    principal: Enrolling,
    session: UnitOfWork,
) -> None:
    """End this browser session (allowed before 2FA enrollment, so nobody is stuck logged in)."""
    if principal.method is not AuthMethod.SESSION or principal.session_id is None:
        raise ConflictError("logout ends a browser session; revoke API tokens by id instead")
    ctx = auth_context(request)
    record = await session.get(sessions.UserSession, principal.session_id)
    if record is not None:
        sessions.revoke(record, ctx.clock.now())
    await record_event(
        session,
        ctx.clock,
        actor=_actor(principal),
        action="auth.logout",
        target_type="session",
        target_id=principal.session_id,
    )
    response.delete_cookie(sessions.SESSION_COOKIE, path="/", httponly=True, samesite="strict")


@router.post("/v1/auth/2fa/enroll", response_model=EnrollmentResponse)
async def enroll_totp(
    request: Request,
    principal: Enrolling,
    session: UnitOfWork,
) -> EnrollmentResponse:
    """Start TOTP enrollment: the seed and its otpauth:// URI, shown this once."""
    ctx = auth_context(request)
    user = await users.get_user(session, principal.user_id)
    enrollment = await two_factor.begin_enrollment(
        session, ctx, user, account_label=users.email_of(ctx, user), actor=_actor(principal)
    )
    return EnrollmentResponse(
        secret=enrollment.secret, provisioning_uri=enrollment.provisioning_uri
    )


@router.post("/v1/auth/2fa/confirm", response_model=RecoveryCodesResponse)
async def confirm_totp(
    body: CodeBody,
    request: Request,
    principal: Enrolling,
    session: UnitOfWork,
) -> RecoveryCodesResponse:
    """Turn 2FA on with a first code from the device; returns the recovery codes once."""
    ctx = auth_context(request)
    user = await users.get_user(session, principal.user_id)
    codes = await two_factor.confirm_enrollment(
        session, ctx, user, body.code, actor=_actor(principal)
    )
    return RecoveryCodesResponse(recovery_codes=codes)


@router.post("/v1/auth/2fa/disable", status_code=status.HTTP_204_NO_CONTENT)
async def disable_totp(
    body: CodeBody,
    request: Request,
    principal: PlainUser,
    session: UnitOfWork,
) -> None:
    """Plain users only: staff keep 2FA (their role lacks the permission)."""
    ctx = auth_context(request)
    user = await users.get_user(session, principal.user_id)
    await two_factor.disable(session, ctx, user, body.code, actor=_actor(principal))


def _token_view(record: ApiToken) -> TokenView:
    return TokenView(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        scopes=list(record.scopes),
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        last_used_at=record.last_used_at,
    )


@router.post(
    "/v1/auth/tokens", response_model=CreatedTokenResponse, status_code=status.HTTP_201_CREATED
)
async def create_api_token(
    body: CreateTokenBody,
    request: Request,
    principal: TokenOwner,
    session: UnitOfWork,
) -> CreatedTokenResponse:
    """A scoped, expiring token; the secret is in this response only."""
    ctx = auth_context(request)
    owner = await users.get_user(session, principal.user_id)
    issued = await tokens.create_token(
        session,
        ctx,
        owner,
        name=body.name,
        scopes=body.scopes,
        ttl_days=body.ttl_days,
        actor=_actor(principal),
    )
    view = _token_view(issued.record)
    return CreatedTokenResponse(**view.model_dump(), token=issued.token)


@router.get("/v1/auth/tokens", response_model=list[TokenView])
async def list_api_tokens(
    principal: TokenOwner,
    session: UnitOfWork,
) -> list[TokenView]:
    return [_token_view(record) for record in await tokens_of(session, principal.user_id)]


@router.delete("/v1/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_token(
    token_id: str,
    request: Request,
    principal: TokenOwner,
    session: UnitOfWork,
) -> None:
    ctx = auth_context(request)
    owner = await users.get_user(session, principal.user_id)
    await tokens.revoke_token(session, ctx, owner, token_id, actor=_actor(principal))
