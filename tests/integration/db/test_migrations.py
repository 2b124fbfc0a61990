"""The migrations produce exactly the schema the ORM models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from botfolio.db import migrate
from botfolio.db.base import Base
from botfolio.db.database import Database
from botfolio.db.models import import_all_models


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": False})
    return list(compare_metadata(context, Base.metadata))


async def test_schema_is_at_head_and_matches_models(db: Database) -> None:
    import_all_models()
    assert await migrate.schema_is_current(db)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []
