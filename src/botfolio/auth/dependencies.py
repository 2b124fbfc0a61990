"""Route guards. Every API route declares exactly one: `Depends(public)`, `Depends(require(P))`
or `Depends(require_enrollment_allowed)`.

The permission-matrix test walks every route and reads the declared permission from the guard
(`guard.permission`, None for public routes); a route without a guard fails that test.

A guard authenticates the caller (session cookie, with the CSRF header on state-changing methods,
or `Authorization: Bearer <api token>`), keeps staff without confirmed 2FA out of everything but
enrollment, checks the permission, and leaves the principal on `request.state` (`principal`,
`actor_id`, `actor_role`, `two_factor_enabled`, `auth_method`) for handlers and the access log.

It reads the database in its own short transaction, finished before the handler's unit of work
begins: `botfolio.auth` sits below `botfolio.api` in the import contracts, so it cannot share
`api.dependencies.get_session`, and on SQLite two open write transactions in one request would
wait on each other.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.auth import sessions, tokens, two_factor
from botfolio.auth.context import AuthContext, RuntimeParts
from botfolio.auth.errors import CsrfTokenInvalidError
from botfolio.auth.hashing import sha256_hex
from botfolio.auth.models import User, UserStatus
from botfolio.auth.permissions import Permission, Role
from botfolio.auth.principal import AuthMethod, Principal
from botfolio.errors import (
    AuthenticationRequiredError,
    PermissionDeniedError,
    TwoFactorRequiredError,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ENROLL_PATH = "/v1/auth/2fa/enroll"


def runtime_of(request: Request) -> RuntimeParts:
    runtime: RuntimeParts = request.app.state.runtime
    return runtime


def auth_context(request: Request) -> AuthContext:
    return AuthContext.from_runtime(runtime_of(request))


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """The auth routes' unit of work: commit when the handler returns, roll back if it raises."""
    async with runtime_of(request).db.transaction() as session:
        yield session


UnitOfWork = Annotated[AsyncSession, Depends(unit_of_work)]


class RouteGuard:
    """A FastAPI dependency that carries the permission it enforces (None: public)."""

    permission: Permission | None

    def __init__(
        self, permission: Permission | None, *, allow_without_two_factor: bool = False
    ) -> None:
        self.permission = permission
        self.allow_without_two_factor = allow_without_two_factor

    def __repr__(self) -> str:
        return f"RouteGuard({self.permission!s}, enrollment={self.allow_without_two_factor})"

    async def __call__(self, request: Request) -> Principal | None:
        if self.permission is None:
            return None
        ctx = auth_context(request)
        async with runtime_of(request).db.transaction() as session:
            principal = await authenticate_request(session, ctx, request)
        expose(request, principal)
        self._enforce(ctx, principal, self.permission)
        return principal

    def _enforce(self, ctx: AuthContext, principal: Principal, permission: Permission) -> None:
        if (
            ctx.is_staff(principal.role)
            and not principal.two_factor_enabled
            and not self.allow_without_two_factor
        ):
            raise TwoFactorRequiredError(
                "staff accounts must enroll in two-factor authentication first",
                enroll=ENROLL_PATH,
            )
        if not principal.can(permission):
            raise PermissionDeniedError(
                "your role does not allow this", permission=permission.value
            )


public = RouteGuard(None)

require_enrollment_allowed = RouteGuard(Permission.SELF_UPDATE, allow_without_two_factor=True)
"""For the 2FA enrollment routes (and logout): any logged-in user, enrolled or not yet."""

_GUARDS: dict[Permission, RouteGuard] = {}


def require(permission: Permission) -> RouteGuard:
    """The guard for `permission`; one instance per permission, so FastAPI calls it once."""
    guard = _GUARDS.get(permission)
    if guard is None:
        guard = _GUARDS[permission] = RouteGuard(permission)
    return guard


def expose(request: Request, principal: Principal) -> None:
    request.state.principal = principal
    request.state.actor_id = principal.user_id
    request.state.actor_role = principal.role.value
    request.state.two_factor_enabled = principal.two_factor_enabled
    request.state.auth_method = principal.method.value


def source_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def authenticate_request(
    session: AsyncSession, ctx: AuthContext, request: Request
) -> Principal:
    bearer = _bearer_token(request)
    if bearer is not None:
        return await _from_api_token(session, ctx, request, bearer)
    cookie = request.cookies.get(sessions.SESSION_COOKIE)
    if cookie:
        return await _from_session(session, ctx, request, cookie)
    raise AuthenticationRequiredError("log in, or send an API token as a Bearer credential")


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationRequiredError("the Authorization header must be 'Bearer <token>'")
    return value.strip()


async def _from_session(
    session: AsyncSession, ctx: AuthContext, request: Request, cookie: str
) -> Principal:
    record = await sessions.active_session(session, ctx, cookie)
    if record is None:
        raise AuthenticationRequiredError("the session has expired or was ended; log in again")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(sessions.CSRF_HEADER, "")
        if not hmac.compare_digest(sha256_hex(sent), record.csrf_token_hash):
            raise CsrfTokenInvalidError(f"send the session's CSRF token in {sessions.CSRF_HEADER}")
    user = await _active_user(session, record.user_id)
    return Principal(
        user_id=user.id,
        role=Role(user.role),
        two_factor_enabled=await two_factor.is_enabled(session, user.id),
        method=AuthMethod.SESSION,
        source_ip=source_ip(request),
        session_id=record.id,
    )


async def _from_api_token(
    session: AsyncSession, ctx: AuthContext, request: Request, raw: str
) -> Principal:
    record = await tokens.active_token(session, ctx, raw)
    if record is None:
        raise AuthenticationRequiredError("the API token is unknown, expired or revoked")
    user = await _active_user(session, record.user_id)
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        role=role,
        two_factor_enabled=await two_factor.is_enabled(session, user.id),
        method=AuthMethod.BEARER,
        source_ip=source_ip(request),
        token_id=record.id,
        token_scopes=tokens.effective_scopes(record, role),
    )


async def _active_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        raise AuthenticationRequiredError("this account is disabled")
    return user


def principal_of(request: Request) -> Principal:
    """The principal a guard left on the request (for code that did not receive it directly)."""
    principal: Any = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise AuthenticationRequiredError("not authenticated")
    return principal
