"""Helpers for the audit tests: append events the way services do, tamper the way attackers do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from botfolio.audit.service import Actor, record_event
from botfolio.clock import ManualClock
from botfolio.db.database import Database


async def append_events(
    db: Database, clock: ManualClock, count: int, *, step_days: float = 0
) -> None:
    """Append `count` events, each in its own transaction, moving the clock between them."""
    for number in range(count):
        async with db.transaction() as session:
            await record_event(
                session,
                clock,
                actor=Actor(user_id=f"user-{number % 3}", source_ip="192.0.2.7"),
                action="bot.updated" if number % 2 else "user.logged_in",
                target_type="bot",
                target_id=f"bot-{number}",
                details={"number": number, "reason": "test"},
            )
        clock.advance(step_days * 86_400 if step_days else 1)


async def execute_sql(db: Database, sql: str, **params: Any) -> None:
    async with db.transaction() as session:
        await session.execute(text(sql), params)
