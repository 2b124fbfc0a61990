"""Reading audit events back: the newest first, filtered by action, actor and time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.models import AuditEvent
from botfolio.clock import ensure_utc
from botfolio.errors import ValidationFailedError

MAX_LIST_LIMIT = 10_000


async def recent_events(
    session: AsyncSession,
    *,
    action: str | None = None,
    actor_id: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    """The newest events matching every filter given; `action` ending in '.*' matches a prefix."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        if action.endswith(".*"):
            prefix = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditEvent.action.like(f"{prefix}%", escape="\\"))
        else:
            query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= ensure_utc(since))
    return (await session.scalars(query)).all()
