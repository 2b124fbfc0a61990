"""`/v1/me` (one's own account) and the admin `/v1/users` routes. E-mail addresses are shown only
to callers with `personal_data.read`; every change is audited by the services."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor
from botfolio.auth import repository, users
from botfolio.auth.context import AuthContext
from botfolio.auth.dependencies import UnitOfWork, auth_context, require
from botfolio.auth.models import User, UserStatus
from botfolio.auth.permissions import Permission, Role, permissions_of
from botfolio.auth.principal import Principal
from botfolio.auth.schemas import (
    ChangePasswordBody,
    CreatedUserResponse,
    CreateUserBody,
    MeView,
    UpdateUserBody,
    UserView,
)
from botfolio.errors import PermissionDeniedError, ValidationFailedError

router = APIRouter(tags=["users"])

UserReader = Annotated[Principal, Depends(require(Permission.USERS_READ))]
UserManager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
SelfReader = Annotated[Principal, Depends(require(Permission.SELF_READ))]
SelfUpdater = Annotated[Principal, Depends(require(Permission.SELF_UPDATE))]


def _view(ctx: AuthContext, user: User, *, two_factor: bool, with_email: bool) -> UserView:
    return UserView(
        id=user.id,
        email=users.email_of(ctx, user) if with_email else None,
        role=Role(user.role),
        status=UserStatus(user.status),
        two_factor_enabled=two_factor,
        locked_until=user.locked_until,
        password_change_required=user.password_change_required,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


async def _views(
    session: AsyncSession, ctx: AuthContext, found: Sequence[User], principal: Principal
) -> list[UserView]:
    enrolled = await repository.users_with_two_factor(session, [u.id for u in found])
    with_email = principal.can(Permission.PERSONAL_DATA_READ)
    return [_view(ctx, u, two_factor=u.id in enrolled, with_email=with_email) for u in found]


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


@router.get("/v1/me", response_model=MeView)
async def read_me(
    request: Request,
    principal: SelfReader,
    session: UnitOfWork,
) -> MeView:
    """One's own account, with one's own e-mail and the permissions of one's role."""
    ctx = auth_context(request)
    user = await users.get_user(session, principal.user_id)
    view = _view(ctx, user, two_factor=principal.two_factor_enabled, with_email=True)
    return MeView(**view.model_dump(), permissions=sorted(permissions_of(principal.role)))


@router.post("/v1/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_my_password(
    body: ChangePasswordBody,
    request: Request,
    principal: SelfUpdater,
    session: UnitOfWork,
) -> None:
    user = await users.get_user(session, principal.user_id)
    await users.change_password(
        session,
        auth_context(request),
        user,
        current_password=body.current_password,
        new_password=body.new_password,
        actor=_actor(principal),
    )


@router.get("/v1/users", response_model=list[UserView])
async def list_users(
    request: Request,
    principal: UserReader,
    session: UnitOfWork,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[UserView]:
    found = await users.list_users(session, limit=limit, offset=offset)
    return await _views(session, auth_context(request), found, principal)


@router.post("/v1/users", response_model=CreatedUserResponse, status_code=status.HTTP_201_CREATED)
async def create_user(
    body: CreateUserBody,
    request: Request,
    principal: UserManager,
    session: UnitOfWork,
) -> CreatedUserResponse:
    """Create an account with a one-time password, returned this once."""
    if body.role is not Role.USER and not principal.can(Permission.ROLES_MANAGE):
        raise PermissionDeniedError("creating staff accounts needs roles.manage")
    ctx = auth_context(request)
    created = await users.create_user(
        session, ctx, email=body.email, role=body.role, password=None, actor=_actor(principal)
    )
    assert created.one_time_password is not None  # noqa: S101 - no password given, one is made
    [view] = await _views(session, ctx, [created.user], principal)
    return CreatedUserResponse(user=view, one_time_password=created.one_time_password)


@router.get("/v1/users/{user_id}", response_model=UserView)
async def read_user(
    user_id: str,
    request: Request,
    principal: UserReader,
    session: UnitOfWork,
) -> UserView:
    user = await users.get_user(session, user_id)
    [view] = await _views(session, auth_context(request), [user], principal)
    return view


@router.patch("/v1/users/{user_id}", response_model=UserView)
async def update_user(
    user_id: str,
    body: UpdateUserBody,
    request: Request,
    principal: UserManager,
    session: UnitOfWork,
) -> UserView:
    """Change a user's role (needs roles.manage) and/or status; you cannot change your own."""
    if body.role is None and body.status is None:
        raise ValidationFailedError("send role and/or status")
    if body.role is not None and not principal.can(Permission.ROLES_MANAGE):
        raise PermissionDeniedError("changing roles needs roles.manage")
    ctx = auth_context(request)
    user = await users.get_user(session, user_id)
    if body.role is not None:
        await users.change_role(session, ctx, user, body.role, actor=_actor(principal))
    if body.status is not None:
        await users.change_status(session, ctx, user, body.status, actor=_actor(principal))
    [view] = await _views(session, ctx, [user], principal)
    return view


@router.post("/v1/users/{user_id}/reset-2fa", status_code=status.HTTP_204_NO_CONTENT)
async def reset_user_two_factor(
    user_id: str,
    request: Request,
    principal: UserManager,
    session: UnitOfWork,
) -> None:
    """Lost device: remove the user's 2FA and end their sessions and tokens (audited)."""
    ctx = auth_context(request)
    user = await users.get_user(session, user_id)
    await users.reset_two_factor(session, ctx, user, actor=_actor(principal))
