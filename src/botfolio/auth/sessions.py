"""Browser sessions: a random token in an HttpOnly cookie, stored only as its SHA-256 digest.

Each session also has a CSRF token (double submit: the client echoes it in `X-CSRF-Token` on
state-changing requests); it is returned once in the login body and stored hashed as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.auth import repository
from botfolio.auth.context import AuthContext
from botfolio.auth.hashing import new_secret_token, sha256_hex
from botfolio.auth.models import User, UserSession
from botfolio.db.ids import new_id

SESSION_COOKIE = "botfolio_session"
CSRF_HEADER = "X-CSRF-Token"
USER_AGENT_MAX = 255


@dataclass(frozen=True)
class IssuedSession:
    record: UserSession
    token: str
    csrf_token: str


async def issue_session(
    session: AsyncSession, ctx: AuthContext, user: User, *, ip: str | None, user_agent: str | None
) -> IssuedSession:
    now = ctx.clock.now()
    token, csrf_token = new_secret_token(), new_secret_token()
    record = UserSession(
        id=new_id(),
        user_id=user.id,
        token_hash=sha256_hex(token),
        csrf_token_hash=sha256_hex(csrf_token),
        created_at=now,
        expires_at=now + timedelta(seconds=ctx.settings.session_ttl_seconds),
        revoked_at=None,
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
    )
    session.add(record)
    await session.flush()
    return IssuedSession(record=record, token=token, csrf_token=csrf_token)


def is_active(record: UserSession, now: datetime) -> bool:
    return record.revoked_at is None and now < record.expires_at


async def active_session(session: AsyncSession, ctx: AuthContext, token: str) -> UserSession | None:
    record = await repository.session_by_token_hash(session, sha256_hex(token))
    now = ctx.clock.now()
    if record is None or not is_active(record, now):
        return None
    record.last_seen_at = now
    return record


def revoke(record: UserSession, now: datetime) -> None:
    if record.revoked_at is None:
        record.revoked_at = now
