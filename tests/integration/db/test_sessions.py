"""Read sessions and write transactions: a reader never holds up a writer, and writers of one
process queue for the database without losing or interleaving their work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from botfolio.db.database import Database


@pytest.fixture
async def counter(db: Database) -> AsyncIterator[Database]:
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE IF EXISTS t_counter"))
        await session.execute(text("CREATE TABLE t_counter (value INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO t_counter VALUES (0)"))
    yield db
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE t_counter"))


async def _value(db: Database) -> int:
    async with db.session() as session:
        return int((await session.execute(text("SELECT value FROM t_counter"))).scalar_one())


async def test_transaction_when_a_read_session_is_open_commits_without_waiting(
    counter: Database,
) -> None:
    db = counter
    async with db.session() as reader:
        before = (await reader.execute(text("SELECT value FROM t_counter"))).scalar_one()
        async with asyncio.timeout(15):  # a reader holding the write lock would block it 30 s
            async with db.transaction() as writer:
                await writer.execute(text("UPDATE t_counter SET value = value + 1"))

    assert before == 0
    assert await _value(db) == 1


async def test_transaction_when_many_tasks_write_at_once_keeps_every_increment(
    counter: Database,
) -> None:
    db = counter
    read = text(
        "SELECT value FROM t_counter FOR UPDATE"
        if db.dialect == "postgresql"
        else "SELECT value FROM t_counter"  # SQLite: the write lock was taken at BEGIN
    )

    async def increment() -> None:
        async with db.transaction() as session:
            value = (await session.execute(read)).scalar_one()
            await asyncio.sleep(0)  # let the others try to get in between
            await session.execute(text("UPDATE t_counter SET value = :v"), {"v": value + 1})

    await asyncio.gather(*(increment() for _ in range(20)))

    assert await _value(db) == 20
