"""All SQL of the auth domain: look-ups by id, blind index and token hash; no business rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.auth.models import ApiToken, RecoveryCode, TotpCredential, User, UserSession


async def user_by_id(session: AsyncSession, user_id: str) -> User | None:
    return await session.get(User, user_id)


async def user_by_email_index(
    session: AsyncSession, email_index: str, *, for_update: bool = False
) -> User | None:
    """`for_update` locks the row (PostgreSQL) so concurrent logins count failures exactly."""
    query = select(User).where(User.email_index == email_index)
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query)
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> Sequence[User]:
    query = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    return (await session.execute(query)).scalars().all()


async def totp_of(session: AsyncSession, user_id: str) -> TotpCredential | None:
    result = await session.execute(select(TotpCredential).where(TotpCredential.user_id == user_id))
    return result.scalar_one_or_none()


async def session_by_token_hash(session: AsyncSession, token_hash: str) -> UserSession | None:
    result = await session.execute(select(UserSession).where(UserSession.token_hash == token_hash))
    return result.scalar_one_or_none()


async def revoke_sessions_of(session: AsyncSession, user_id: str, now: datetime) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    result = await session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash))
    return result.scalar_one_or_none()


async def tokens_of(session: AsyncSession, user_id: str) -> Sequence[ApiToken]:
    result = await session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
    )
    return result.scalars().all()


async def revoke_tokens_of(session: AsyncSession, user_id: str, now: datetime) -> None:
    await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def claim_totp_step(session: AsyncSession, credential_id: str, step: int) -> bool:
    """Record `step` as used only if it is newer than the last one: atomic against a replay race."""
    result = await session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.id == credential_id,
            or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return _rowcount(result) == 1


async def claim_recovery_code(
    session: AsyncSession, user_id: str, code_hash: str, now: datetime
) -> bool:
    """Spend a recovery code; two concurrent uses of one code cannot both succeed."""
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return _rowcount(result) == 1


async def count_unused_recovery_codes(session: AsyncSession, user_id: str) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(result.scalar_one())


def _rowcount(result: Result[Any]) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


async def users_with_two_factor(session: AsyncSession, user_ids: Sequence[str]) -> set[str]:
    if not user_ids:
        return set()
    result = await session.execute(
        select(TotpCredential.user_id).where(
            TotpCredential.user_id.in_(user_ids), TotpCredential.confirmed.is_(True)
        )
    )
    return set(result.scalars().all())
