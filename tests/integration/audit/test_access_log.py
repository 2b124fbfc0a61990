"""The access-log writer stores one row per request and never stores secret query values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from botfolio.audit.access import REDACTED, AccessLogRecord, record_access
from botfolio.db.database import Database


async def _record(
    db: Database, *, path: str, user_agent: str | None = "curl/8.5"
) -> AccessLogRecord:
    async with db.transaction() as session:
        await record_access(
            session,
            occurred_at=datetime(2026, 3, 1, 21, 30, tzinfo=timezone(timedelta(hours=9))),
            request_id="req-1",
            actor_id="user-7",
            method="post",
            path=path,
            route="/auth/reset/{user_id}",
            status=204,
            latency_ms=12.75,
            source_ip="203.0.113.9",
            user_agent=user_agent,
        )
    async with db.session() as session:
        return (await session.scalars(select(AccessLogRecord))).one()


async def test_record_access_when_called_stores_every_field_in_utc(db: Database) -> None:
    record = await _record(db, path="/auth/reset/u1")

    assert record.occurred_at == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert (record.request_id, record.actor_id, record.method) == ("req-1", "user-7", "POST")
    assert (record.path, record.route, record.status) == (
        "/auth/reset/u1",
        "/auth/reset/{user_id}",
        204,
    )
    assert record.latency_ms == 12.75
    assert (record.source_ip, record.user_agent) == ("203.0.113.9", "curl/8.5")


async def test_record_access_when_query_has_secrets_redacts_them(db: Database) -> None:
    record = await _record(
        db,
        path="/auth/reset/u1?token=s3cr3t&password=hunter2&api_key=AK1&symbol=BTC/USDT&limit=5#frag",
    )

    assert "s3cr3t" not in record.path
    assert "hunter2" not in record.path
    assert "AK1" not in record.path
    assert "frag" not in record.path
    assert record.path == (
        f"/auth/reset/u1?token={REDACTED}&password={REDACTED}&api_key={REDACTED}"
        "&symbol=BTC/USDT&limit=5"
    )


async def test_record_access_when_user_agent_huge_cuts_it(db: Database) -> None:
    record = await _record(db, path="/", user_agent="x" * 5000)

    assert record.user_agent == "x" * 512
