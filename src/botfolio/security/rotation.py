"""Key rotation: re-encrypt every registered column's values that are not under the active key.

Online by design: each batch is its own short transaction that locks only its own rows, readers
keep working throughout because old key ids stay in the ring, and each value is swapped only
where it still holds the ciphertext that was read, so a concurrent write is never overwritten
with an older value. Selecting only values not under the active key makes a run idempotent, and an
interrupted run resumes where it stopped by simply running again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, TableClause, bindparam, column, func, select, table, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.db.database import Database
from botfolio.errors import OperationalError, ValidationFailedError
from botfolio.security.crypto import VERSION, DecryptionError, FieldCipher
from botfolio.security.registry import EncryptedColumn, encrypted_columns

DEFAULT_BATCH_SIZE = 200
MAX_FAILED_IDS_KEPT = 100
UNKNOWN_KEY = "(unknown)"
_ESCAPE = "\\"


@dataclass(frozen=True)
class RotationProgress:
    column: EncryptedColumn
    done: int
    total: int


ProgressCallback = Callable[[RotationProgress], None]


@dataclass
class ColumnRotation:
    """What one pass over a column did; `failed_row_ids` keeps the first ids that would not decrypt."""

    column: EncryptedColumn
    reencrypted: int = 0
    failed: int = 0
    failed_row_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RotationReport:
    active_key_id: str
    columns: tuple[ColumnRotation, ...]
    seconds: float

    @property
    def reencrypted(self) -> int:
        return sum(c.reencrypted for c in self.columns)

    @property
    def failed(self) -> int:
        return sum(c.failed for c in self.columns)


@dataclass(frozen=True)
class _Target:
    """SQL handles for one registered column."""

    spec: EncryptedColumn
    table: TableClause

    @classmethod
    def of(cls, spec: EncryptedColumn) -> _Target:
        return cls(spec, table(spec.table, column(spec.id_column), column(spec.column)))

    @property
    def row_id(self) -> ColumnElement[Any]:
        return self.table.c[self.spec.id_column]

    @property
    def value(self) -> ColumnElement[Any]:
        return self.table.c[self.spec.column]


async def reencrypt_all(
    db: Database,
    cipher: FieldCipher,
    *,
    columns: Sequence[EncryptedColumn] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> RotationReport:
    """Bring every registered column (or the ones given) under the cipher's active key."""
    started = time.perf_counter()
    results = []
    for spec in encrypted_columns() if columns is None else columns:
        results.append(
            await reencrypt_column(db, cipher, spec, batch_size=batch_size, on_progress=on_progress)
        )
    return RotationReport(
        active_key_id=cipher.ring.active_key_id,
        columns=tuple(results),
        seconds=time.perf_counter() - started,
    )


async def reencrypt_column(
    db: Database,
    cipher: FieldCipher,
    spec: EncryptedColumn,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: ProgressCallback | None = None,
) -> ColumnRotation:
    """One column, in batches of `batch_size` rows, each batch committed on its own."""
    if batch_size < 1:
        raise ValidationFailedError("batch_size must be at least 1")
    target = _Target.of(spec)
    async with db.session() as session:
        total = await _count_stale(session, target, cipher.ring.active_key_id)
    outcome = ColumnRotation(spec)
    done = 0
    after: Any = None
    while True:
        async with db.transaction() as session:
            handled, after = await _reencrypt_batch(
                session, cipher, target, outcome, after=after, batch_size=batch_size
            )
        done += handled
        if on_progress is not None:
            on_progress(RotationProgress(spec, min(done, total), max(total, done)))
        if handled < batch_size:
            return outcome


async def _reencrypt_batch(
    session: AsyncSession,
    cipher: FieldCipher,
    target: _Target,
    outcome: ColumnRotation,
    *,
    after: Any,
    batch_size: int,
) -> tuple[int, Any]:
    """Lock the batch's rows (PostgreSQL; SQLite's write lock is taken at BEGIN), then swap them.

    Readers are never blocked; a writer of one of these rows waits for this short transaction.
    """
    query = (
        select(target.row_id, target.value)
        .where(_stale(target, cipher.ring.active_key_id))
        .order_by(target.row_id)
        .limit(batch_size)
        .with_for_update()
    )
    if after is not None:
        query = query.where(target.row_id > after)
    rows = (await session.execute(query)).all()
    swaps = [
        swap
        for row_id, token in rows
        if (swap := _reencrypted(cipher, target, outcome, row_id, token)) is not None
    ]
    if swaps:
        statement = (
            update(target.table)
            .where(target.row_id == bindparam("b_id"), target.value == bindparam("b_old"))
            .values({target.spec.column: bindparam("b_new")})
        )
        await session.execute(statement, swaps)
        outcome.reencrypted += len(swaps)
    return len(rows), (rows[-1][0] if rows else after)


def _reencrypted(
    cipher: FieldCipher, target: _Target, outcome: ColumnRotation, row_id: Any, token: str
) -> dict[str, Any] | None:
    bound = {"table": target.spec.table, "column": target.spec.column, "row_id": str(row_id)}
    try:
        fresh = cipher.encrypt(cipher.decrypt(token, **bound), **bound)
    except DecryptionError:
        outcome.failed += 1
        if len(outcome.failed_row_ids) < MAX_FAILED_IDS_KEPT:
            outcome.failed_row_ids.append(str(row_id))
        return None
    return {"b_id": row_id, "b_old": token, "b_new": fresh}


async def key_usage(
    db: Database, cipher: FieldCipher, columns: Sequence[EncryptedColumn] | None = None
) -> dict[EncryptedColumn, dict[str, int]]:
    """Values per key id for each column; `(unknown)` counts values under no key of the ring."""
    usage: dict[EncryptedColumn, dict[str, int]] = {}
    async with db.session() as session:
        for spec in encrypted_columns() if columns is None else columns:
            usage[spec] = await _column_key_usage(session, cipher, _Target.of(spec))
    return usage


async def _column_key_usage(
    session: AsyncSession, cipher: FieldCipher, target: _Target
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key_id in cipher.ring.keys:
        counts[key_id] = await _count(
            session, target, target.value.like(_prefix_pattern(key_id), escape=_ESCAPE)
        )
    total = await _count(session, target, target.value.is_not(None))
    unknown = total - sum(counts.values())
    if unknown:
        counts[UNKNOWN_KEY] = unknown
    return counts


async def _count_stale(session: AsyncSession, target: _Target, active_key_id: str) -> int:
    return await _count(session, target, _stale(target, active_key_id))


async def _count(session: AsyncSession, target: _Target, condition: ColumnElement[bool]) -> int:
    """Counting is the first read of a column, so a missing table or column is reported here."""
    query = select(func.count()).select_from(target.table).where(condition)
    try:
        return int(await session.scalar(query) or 0)
    except DBAPIError as exc:
        raise OperationalError(
            f"cannot read registered column {target.spec.name}: {exc.orig} "
            "(is the schema upgraded? `botfolio db upgrade`)"
        ) from exc


def _stale(target: _Target, active_key_id: str) -> ColumnElement[bool]:
    return target.value.is_not(None) & target.value.not_like(
        _prefix_pattern(active_key_id), escape=_ESCAPE
    )


def _prefix_pattern(key_id: str) -> str:
    """`v1:<key id>:%` with LIKE's wildcards in the key id escaped (SQLite has no default escape)."""
    escaped = key_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{VERSION}:{escaped}:%"
