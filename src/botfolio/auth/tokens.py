"""API tokens: shown once, stored as a SHA-256 digest, scoped to a subset of the owner's role,
expiring and revocable. The effective rights of a token are its scopes AND its owner's current
role, so demoting a user narrows their tokens at once."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.auth import repository
from botfolio.auth.context import AuthContext
from botfolio.auth.errors import ScopeNotAllowedError
from botfolio.auth.hashing import new_secret_token, sha256_hex
from botfolio.auth.models import ApiToken, User
from botfolio.auth.permissions import Permission, Role, permissions_of
from botfolio.db.ids import new_id
from botfolio.errors import NotFoundError, ValidationFailedError

TOKEN_PREFIX = "bf_"  # noqa: S105 - a public marker, not a secret
MAX_TTL_DAYS = 366


@dataclass(frozen=True)
class IssuedToken:
    record: ApiToken
    token: str


def scopes_outside_role(role: Role, scopes: Iterable[Permission]) -> list[Permission]:
    """The requested scopes the role does not have (empty when the request is a subset)."""
    allowed = permissions_of(role)
    return sorted({scope for scope in scopes if scope not in allowed})


def effective_scopes(record: ApiToken, role: Role) -> frozenset[Permission]:
    known = {p.value for p in Permission}
    granted = {Permission(s) for s in record.scopes if s in known}
    return frozenset(granted) & permissions_of(role)


async def create_token(
    session: AsyncSession,
    ctx: AuthContext,
    owner: User,
    *,
    name: str,
    scopes: Sequence[Permission],
    ttl_days: int | None,
    actor: Actor,
) -> IssuedToken:
    excess = scopes_outside_role(Role(owner.role), scopes)
    if excess:
        raise ScopeNotAllowedError(
            "a token cannot carry permissions its owner's role lacks",
            scopes=[str(s) for s in excess],
        )
    days = ttl_days or ctx.settings.token_default_ttl_days
    if not 1 <= days <= MAX_TTL_DAYS:
        raise ValidationFailedError(f"ttl_days must be between 1 and {MAX_TTL_DAYS}")
    now = ctx.clock.now()
    prefix = f"{TOKEN_PREFIX}{secrets.token_hex(4)}"
    token = f"{prefix}_{new_secret_token()}"
    record = ApiToken(
        id=new_id(),
        user_id=owner.id,
        name=name,
        prefix=prefix,
        token_hash=sha256_hex(token),
        scopes=sorted({str(s) for s in scopes}),
        created_at=now,
        expires_at=now + timedelta(days=days),
        revoked_at=None,
        last_used_at=None,
    )
    session.add(record)
    await session.flush()
    await record_event(
        session,
        ctx.clock,
        actor=actor,
        action="auth.api_token_created",
        target_type="api_token",
        target_id=record.id,
        details={"owner_id": owner.id, "scopes": record.scopes, "name": name},
    )
    return IssuedToken(record=record, token=token)


def is_active(record: ApiToken, now: datetime) -> bool:
    return record.revoked_at is None and now < record.expires_at


async def active_token(session: AsyncSession, ctx: AuthContext, token: str) -> ApiToken | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    record = await repository.token_by_hash(session, sha256_hex(token))
    now = ctx.clock.now()
    if record is None or not is_active(record, now):
        return None
    record.last_used_at = now
    return record


async def revoke_token(
    session: AsyncSession, ctx: AuthContext, owner: User, token_id: str, *, actor: Actor
) -> ApiToken:
    """Revoke one of the owner's tokens; another user's token id reads as not found."""
    record = await session.get(ApiToken, token_id)
    if record is None or record.user_id != owner.id:
        raise NotFoundError("no such token")
    if record.revoked_at is None:
        record.revoked_at = ctx.clock.now()
        await record_event(
            session,
            ctx.clock,
            actor=actor,
            action="auth.api_token_revoked",
            target_type="api_token",
            target_id=record.id,
            details={"owner_id": owner.id},
        )
    return record
