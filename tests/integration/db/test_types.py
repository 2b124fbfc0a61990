"""ExactDecimal and UTCDateTime round-trip exactly on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from botfolio.db.database import Database
from botfolio.db.types import ExactDecimal, UTCDateTime

scratch = MetaData()
samples = Table(
    "scratch_samples",
    scratch,
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal()),
    Column("at", UTCDateTime()),
)


@pytest.fixture
async def scratch_db(db: Database) -> Database:
    async with db.engine.begin() as conn:
        await conn.run_sync(scratch.drop_all)
        await conn.run_sync(scratch.create_all)
    return db


async def test_decimal_round_trips_without_float_rounding(scratch_db: Database) -> None:
    values = [
        Decimal("0.1"),
        Decimal("123456789.123456789012345678"),
        Decimal("-0.000000000000000001"),
    ]
    async with scratch_db.transaction() as s:
        for i, value in enumerate(values):
            await s.execute(insert(samples).values(id=i, amount=value))
    async with scratch_db.session() as s:
        stored = (await s.execute(select(samples.c.amount).order_by(samples.c.id))).scalars().all()
    assert stored == values


async def test_datetime_comes_back_aware_utc(scratch_db: Database) -> None:
    seoul = timezone(timedelta(hours=9))
    moment = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=seoul)
    async with scratch_db.transaction() as s:
        await s.execute(insert(samples).values(id=1, at=moment))
    async with scratch_db.session() as s:
        stored = (await s.execute(select(samples.c.at))).scalar_one()
    assert stored == moment
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.tzinfo == UTC or stored.utcoffset() == timedelta(0)


async def test_naive_datetime_and_float_are_refused(scratch_db: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        async with scratch_db.transaction() as s:
            await s.execute(insert(samples).values(id=2, at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(Exception, match="float"):
        async with scratch_db.transaction() as s:
            await s.execute(insert(samples).values(id=3, amount=0.1))
