"""The exchange failure history administrators list: every failure run, switch and rejection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.exchanges.models import ExchangeIncident


async def record_incident(
    session: AsyncSession,
    clock: Clock,
    *,
    venue: str,
    kind: str,
    message: str,
    account_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> ExchangeIncident:
    incident = ExchangeIncident(
        id=new_id(),
        venue=venue,
        kind=kind,
        message=message,
        account_id=account_id,
        details=details or {},
        occurred_at=clock.now(),
    )
    session.add(incident)
    await session.flush()
    return incident


async def list_incidents(
    session: AsyncSession,
    *,
    venue: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> Sequence[ExchangeIncident]:
    stmt = select(ExchangeIncident).order_by(ExchangeIncident.occurred_at.desc()).limit(limit)
    if venue:
        stmt = stmt.where(ExchangeIncident.venue == venue)
    if since:
        stmt = stmt.where(ExchangeIncident.occurred_at >= since)
    return (await session.execute(stmt)).scalars().all()
