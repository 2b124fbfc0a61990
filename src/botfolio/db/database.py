"""Engine and session factories. One `Database` per process; never a module-level engine.

Services never commit: the request, job or command that owns the unit of work uses
`Database.transaction()` (commit on success, rollback on error) or `Database.session()` (reads
only: it never commits).

On SQLite a transaction takes the database's write lock at BEGIN (BEGIN IMMEDIATE), so claims
and counters are atomic across processes; a read session starts a plain (deferred) BEGIN and
reads its WAL snapshot without taking that lock. Writers of one process queue on an asyncio
lock before BEGIN IMMEDIATE: SQLite's own busy handler would otherwise make a waiting writer
sleep in steps of up to 100 ms while the lock is typically held for a few milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from botfolio.config import DatabaseSettings
from botfolio.ops.metrics import DB_QUERY_SECONDS

READ_ONLY_OPTION = "botfolio_read_only"


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.engine: AsyncEngine = _create_engine(url, echo=echo, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        readers = self.engine.execution_options(**{READ_ONLY_OPTION: True})
        self.read_sessions = async_sessionmaker(readers, expire_on_commit=False)
        self._writers = _TaskReentrantLock() if self.dialect == "sqlite" else None

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        return cls(
            settings.url.get_secret_value(), echo=settings.echo, pool_size=settings.pool_size
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; whatever it might write is rolled back when the block ends."""
        async with self.read_sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits when the block ends and rolls back if it raises."""
        if self._writers is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writers, self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _create_engine(url: str, *, echo: bool, pool_size: int) -> AsyncEngine:
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(parsed.database)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        # A server can restart under us: test each pooled connection before use (SQLite's file
        # cannot go away like that, so it skips the extra round trip).
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = pool_size
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
    event.listen(engine.sync_engine, "before_cursor_execute", _start_timer)
    event.listen(engine.sync_engine, "after_cursor_execute", _observe_query)
    return engine


def _ensure_sqlite_dir(database: str | None) -> None:
    if database and database != ":memory:":
        from pathlib import Path

        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN so that we can make it BEGIN IMMEDIATE.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take SQLite's write lock at BEGIN: claims and counters are then atomic across processes.
    Read sessions begin deferred and never take it."""
    if conn.get_execution_options().get(READ_ONLY_OPTION):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class _TaskReentrantLock:
    """An asyncio lock a task may enter again: a transaction opened inside another by the same
    task goes straight to SQLite (as it always did) instead of waiting on itself forever."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a Database reused under a new event loop (asyncio.run)
            self._lock, self._loop, self._owner, self._depth = asyncio.Lock(), loop, None, 0
        task = asyncio.current_task()
        if self._owner is not task or task is None:
            await self._lock.acquire()
            self._owner = task
        self._depth += 1

    async def __aexit__(self, *_exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


def _start_timer(
    conn: Any, _cursor: Any, _stmt: Any, _params: Any, context: Any, _many: Any
) -> None:
    conn.info.setdefault("query_started", []).append(time.perf_counter())


def _observe_query(
    conn: Any, _cursor: Any, stmt: str, _params: Any, context: Any, _many: Any
) -> None:
    started = conn.info.get("query_started")
    if started:
        verb = stmt.lstrip().split(" ", 1)[0].upper()[:10]
        DB_QUERY_SECONDS.labels(operation=verb).observe(time.perf_counter() - started.pop())
