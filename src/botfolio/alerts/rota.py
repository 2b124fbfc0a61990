"""The on-call rota: shifts with a level (0 primary, 1 secondary, ...); escalation climbs levels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts import repository
from botfolio.alerts.models import OncallShift
from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock, ensure_utc
from botfolio.db.ids import new_id
from botfolio.errors import ValidationFailedError


async def add_shift(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: str,
    level: int,
    starts_at: datetime,
    ends_at: datetime,
    actor: Actor,
) -> OncallShift:
    starts, ends = ensure_utc(starts_at), ensure_utc(ends_at)
    if ends <= starts:
        raise ValidationFailedError("a shift must end after it starts")
    if level < 0:
        raise ValidationFailedError("level must be 0 (primary) or more")
    shift = OncallShift(
        id=new_id(),
        user_id=user_id,
        level=level,
        starts_at=starts,
        ends_at=ends,
        created_at=clock.now(),
    )
    session.add(shift)
    await session.flush()
    await record_event(
        session,
        clock,
        actor=actor,
        action="oncall.shift_added",
        target_type="oncall_shift",
        target_id=shift.id,
        details={"user_id": user_id, "level": level},
    )
    return shift


async def responders_at(session: AsyncSession, now: datetime) -> list[str]:
    """User ids on call now in escalation order, one per level (the earliest-starting shift)."""
    chosen: dict[int, str] = {}
    for shift in await repository.shifts_at(session, now):
        chosen.setdefault(shift.level, shift.user_id)
    return [chosen[level] for level in sorted(chosen)]


def responder_for_level(responders: Sequence[str], level: int) -> str | None:
    """The responder at `level`, or the last one when the rota is shorter (they keep the page)."""
    if not responders:
        return None
    return responders[min(level, len(responders) - 1)]
