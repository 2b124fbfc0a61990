"""Leader leases with fencing tokens: one row per lease name in `scheduler_leases`.

A holder renews before `expires_at`; anyone may take an expired lease, and every change of holder
increments `fencing_token`. A deposed holder may still be running (paused, partitioned), so the
leader's writes check its token in the same transaction (`assert_fencing`) and are refused once
someone else has taken over.

Expiry compares the holders' clocks: hosts running schedulers must keep NTP-synchronised time,
with skew well under the lease TTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.errors import LeaseLostError
from botfolio.jobs.models import SchedulerLease

_leases = cast(Table, SchedulerLease.__table__)


@dataclass(frozen=True)
class LeaseGrant:
    name: str
    holder: str
    fencing_token: int
    expires_at: datetime


async def acquire_or_renew(
    session: AsyncSession, name: str, holder: str, *, ttl_seconds: float, now: datetime
) -> LeaseGrant | None:
    """One atomic upsert: create the lease, renew it if `holder` has it, or take it over if it
    expired (token + 1). None when someone else holds an unexpired lease.

    PostgreSQL locks the row for the ON CONFLICT update, so two standbys racing for an expired
    lease serialise and the second sees the first's fresh expiry; SQLite's write lock does the same.
    """
    dialect_insert = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    expires_at = now + timedelta(seconds=ttl_seconds)
    insert = dialect_insert(_leases).values(
        name=name,
        holder=holder,
        fencing_token=1,
        acquired_at=now,
        renewed_at=now,
        expires_at=expires_at,
    )
    still_mine = _leases.c.holder == insert.excluded.holder
    stmt = insert.on_conflict_do_update(
        index_elements=[_leases.c.name],
        set_={
            "holder": insert.excluded.holder,
            "fencing_token": case(
                (still_mine, _leases.c.fencing_token), else_=_leases.c.fencing_token + 1
            ),
            "acquired_at": case(
                (still_mine, _leases.c.acquired_at), else_=insert.excluded.acquired_at
            ),
            "renewed_at": insert.excluded.renewed_at,
            "expires_at": insert.excluded.expires_at,
        },
        where=or_(still_mine, _leases.c.expires_at <= now),
    ).returning(_leases.c.fencing_token)
    token = (await session.execute(stmt)).scalar_one_or_none()
    if token is None:
        return None
    return LeaseGrant(name=name, holder=holder, fencing_token=token, expires_at=expires_at)


async def release_lease(session: AsyncSession, name: str, holder: str, *, now: datetime) -> bool:
    """Expire our own lease now (clean shutdown) so a standby takes over without waiting a TTL."""
    stmt = (
        update(_leases)
        .where(_leases.c.name == name, _leases.c.holder == holder, _leases.c.expires_at > now)
        .values(expires_at=now)
        .returning(_leases.c.name)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def current_lease(session: AsyncSession, name: str) -> SchedulerLease | None:
    return await session.get(SchedulerLease, name, populate_existing=True)


async def assert_fencing(session: AsyncSession, name: str, token: int) -> None:
    """Raise LeaseLostError unless `token` is still the lease's current fencing token.

    Call it first inside the transaction that makes the leader's writes. On PostgreSQL the row is
    read FOR SHARE, so a takeover waits until this transaction ends and our writes are ordered
    before it; on SQLite the transaction already holds the database write lock.
    """
    stmt = select(_leases.c.fencing_token).where(_leases.c.name == name).with_for_update(read=True)
    current = (await session.execute(stmt)).scalar_one_or_none()
    if current != token:
        raise LeaseLostError(
            f"lease {name!r} moved on (token {current}); writes with token {token} are refused",
            lease=name,
            token=token,
            current_token=current,
        )
