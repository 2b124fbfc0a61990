"""A scratch table of encrypted values, created by the test that needs it and dropped after."""

from __future__ import annotations

from sqlalchemy import text

from botfolio.db.database import Database
from botfolio.security.crypto import FieldCipher
from botfolio.security.registry import EncryptedColumn

SCRATCH = EncryptedColumn("zz_rotation_scratch", "secret_encrypted", "id")


def plaintext_of(number: int) -> str:
    return f"user{number}@example.com"


async def create_scratch(db: Database, cipher: FieldCipher, rows: int, *, nulls: int = 0) -> None:
    """`rows` encrypted values with ids r0000.., then `nulls` rows without a value."""
    async with db.transaction() as session:
        await session.execute(text(f"DROP TABLE IF EXISTS {SCRATCH.table}"))
        await session.execute(
            text(
                f"CREATE TABLE {SCRATCH.table} (id VARCHAR(64) PRIMARY KEY, {SCRATCH.column} TEXT)"
            )
        )
        values = [
            {
                "id": f"r{number:04d}",
                "v": cipher.encrypt(
                    plaintext_of(number),
                    table=SCRATCH.table,
                    column=SCRATCH.column,
                    row_id=f"r{number:04d}",
                ),
            }
            for number in range(rows)
        ] + [{"id": f"n{number:04d}", "v": None} for number in range(nulls)]
        if values:
            await session.execute(
                text(f"INSERT INTO {SCRATCH.table} (id, {SCRATCH.column}) VALUES (:id, :v)"),  # noqa: S608
                values,
            )


async def drop_scratch(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text(f"DROP TABLE IF EXISTS {SCRATCH.table}"))


async def stored_values(db: Database) -> dict[str, str | None]:
    async with db.session() as session:
        rows = await session.execute(text(f"SELECT id, {SCRATCH.column} FROM {SCRATCH.table}"))  # noqa: S608
        return {row[0]: row[1] for row in rows}
