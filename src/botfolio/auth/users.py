"""User accounts: creation (e-mail encrypted, found by blind index), role and status changes,
admin 2FA reset, password change. Every change writes an audit event in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.auth import models, repository, two_factor
from botfolio.auth.context import AuthContext
from botfolio.auth.errors import InvalidCurrentPasswordError
from botfolio.auth.models import User, UserStatus
from botfolio.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, one_time_password
from botfolio.auth.permissions import Role
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError

USERS_TABLE, EMAIL_COLUMN = models.EMAIL_COLUMN.table, models.EMAIL_COLUMN.column
EMAIL_PURPOSE = "users.email"


@dataclass(frozen=True)
class CreatedUser:
    user: User
    one_time_password: str | None


def email_index(ctx: AuthContext, email: str) -> str:
    return ctx.cipher.blind_index(email, purpose=EMAIL_PURPOSE)


def email_of(ctx: AuthContext, user: User) -> str:
    return ctx.cipher.decrypt(
        user.email_encrypted, table=USERS_TABLE, column=EMAIL_COLUMN, row_id=user.id
    )


def check_password_policy(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailedError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


async def create_user(
    session: AsyncSession,
    ctx: AuthContext,
    *,
    email: str,
    role: Role,
    password: str | None,
    actor: Actor,
) -> CreatedUser:
    """Create an active account; without a password, a one-time password is made and returned."""
    email = email.strip()
    index = email_index(ctx, email)
    if await repository.user_by_email_index(session, index) is not None:
        raise ConflictError("a user with this e-mail address already exists")
    secret = password if password is not None else one_time_password()
    generated = secret if password is None else None
    check_password_policy(secret)
    user_id = new_id()
    user = User(
        id=user_id,
        email_encrypted=ctx.cipher.encrypt(
            email, table=USERS_TABLE, column=EMAIL_COLUMN, row_id=user_id
        ),
        email_index=index,
        password_hash=await ctx.passwords.hash_async(secret),
        password_change_required=generated is not None,
        role=Role(role).value,
        status=UserStatus.ACTIVE.value,
        failed_login_count=0,
        created_at=ctx.clock.now(),
    )
    session.add(user)
    await session.flush()
    await _audit(session, ctx, actor, "users.created", user, {"role": user.role})
    return CreatedUser(user=user, one_time_password=generated)


async def get_user(session: AsyncSession, user_id: str) -> User:
    user = await repository.user_by_id(session, user_id)
    if user is None:
        raise NotFoundError("no such user")
    return user


async def find_by_email(session: AsyncSession, ctx: AuthContext, email: str) -> User:
    user = await repository.user_by_email_index(session, email_index(ctx, email))
    if user is None:
        raise NotFoundError("no such user")
    return user


async def list_users(session: AsyncSession, *, limit: int = 100, offset: int = 0) -> Sequence[User]:
    return await repository.list_users(session, limit=limit, offset=offset)


async def change_role(
    session: AsyncSession, ctx: AuthContext, user: User, role: Role, *, actor: Actor
) -> None:
    if actor.user_id == user.id:
        raise ConflictError("you cannot change your own role")
    previous = user.role
    if previous == role.value:
        return
    user.role = role.value
    await _audit(session, ctx, actor, "users.role_changed", user, {"from": previous, "to": role})


async def change_status(
    session: AsyncSession, ctx: AuthContext, user: User, status: UserStatus, *, actor: Actor
) -> None:
    """Disabling also ends every session and API token of the account."""
    if actor.user_id == user.id:
        raise ConflictError("you cannot change your own status")
    if user.status == status.value:
        return
    user.status = status.value
    if status is UserStatus.DISABLED:
        await _end_access(session, ctx, user)
    else:
        user.locked_until, user.failed_login_count = None, 0
    action = "users.disabled" if status is UserStatus.DISABLED else "users.enabled"
    await _audit(session, ctx, actor, action, user)


async def reset_two_factor(
    session: AsyncSession, ctx: AuthContext, user: User, *, actor: Actor
) -> None:
    """Admin recovery for a lost device: 2FA removed, sessions and tokens ended; the user (if
    staff) must enroll again before doing anything else."""
    await two_factor.remove_all(session, user.id)
    await _end_access(session, ctx, user)
    await _audit(session, ctx, actor, "auth.2fa_reset", user)


async def change_password(
    session: AsyncSession,
    ctx: AuthContext,
    user: User,
    *,
    current_password: str,
    new_password: str,
    actor: Actor,
) -> None:
    if not await ctx.passwords.verify_async(user.password_hash, current_password):
        raise InvalidCurrentPasswordError("the current password is wrong")
    check_password_policy(new_password)
    user.password_hash = await ctx.passwords.hash_async(new_password)
    user.password_change_required = False
    await _audit(session, ctx, actor, "auth.password_changed", user)


async def _end_access(session: AsyncSession, ctx: AuthContext, user: User) -> None:
    now = ctx.clock.now()
    await repository.revoke_sessions_of(session, user.id, now)
    await repository.revoke_tokens_of(session, user.id, now)


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
