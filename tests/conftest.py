"""Test fixtures: the database-facing tests run once on SQLite and once on PostgreSQL.

Each test run creates its own PostgreSQL database (dropped at the end) and its own SQLite file,
migrates both with Alembic, and empties every table before each test. PostgreSQL must be up
(`.ci/run` starts it); set BOTFOLIO_TEST_BACKENDS=sqlite to run without it on purpose.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from botfolio.clock import ManualClock
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.db.base import Base
from botfolio.db.database import Database
from botfolio.db.models import import_all_models
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

PG_ADMIN_DSN = os.environ.get(
    "BOTFOLIO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    b for b in os.environ.get("BOTFOLIO_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]


def _pg_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"botfolio_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}); start it (.ci/run does) "
            "or set BOTFOLIO_TEST_BACKENDS=sqlite"
        )
    url = _pg_url(PG_ADMIN_DSN, name)
    migrate.upgrade(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "botfolio.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database: each database-facing test runs once per backend."""
    fixture = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    url: str = request.getfixturevalue(fixture)
    asyncio.run(empty_all_tables(url))
    return url


async def empty_all_tables(url: str) -> None:
    """Delete every row of every table (also used by tests that run their own processes)."""
    import_all_models()
    db = Database(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    try:
        async with db.transaction() as session:
            # DELETE, children first: ~30 ms for the whole schema, where PostgreSQL's TRUNCATE
            # of the same tables takes ~600 ms (it swaps every table's files).
            for table in tables:
                await session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608
    finally:
        await db.dispose()


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database={"url": db_url},
        data_dir=tmp_path,
        security={"keyring_file": tmp_path / "keyring.json"},
    )


@pytest.fixture
async def runtime(settings: Settings, keyring: KeyRing) -> AsyncIterator[Runtime]:
    rt = Runtime(
        settings=settings,
        db=Database(settings.database.url.get_secret_value()),
        cipher=FieldCipher(keyring),
    )
    yield rt
    await rt.close()


@pytest.fixture
async def db(runtime: Runtime) -> Database:
    return runtime.db


# The real market data of ../shared/data (its README says what it is); tests that need it skip
# with a clear message where it is absent.
OHLCV_DIR = Path(
    os.environ.get(
        "BOTFOLIO_OHLCV_DIR",
        Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ohlcv",
    )
)


@pytest.fixture(scope="session")
def real_files() -> list[Path]:
    """The ten X/BTC five-minute candle files."""
    files = sorted(OHLCV_DIR.glob("*_BTC-5m.csv"))
    if not files:
        pytest.skip(
            f"real candles not found in {OHLCV_DIR} (set BOTFOLIO_OHLCV_DIR to point at them)"
        )
    return files
