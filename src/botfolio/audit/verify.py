"""Verifying the audit chain: walk it in id order, in batches, and name the first broken link.

What is detected, by the id it concerns:
- an edited row (its stored hash no longer matches its content),
- a broken link (a row's prev_hash is not the previous row's hash),
- a deleted row (a gap in the ids), including at the start of the chain,
- a truncated tail (the chain head row names a newer event than the newest row),
- rows below a retention checkpoint, and a checkpoint that no `audit.retention_purged` event in
  the chain vouches for (so a forged checkpoint cannot hide the deletion of the oldest rows),
- optionally, an externally kept anchor (`id:hash` printed by an earlier verification) that the
  chain no longer contains.
Someone able to rewrite every row after an edit, and the head row, defeats any in-database check;
the anchor printed by `botfolio audit verify` and kept elsewhere is the defence against that.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Result, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.models import CHAIN_HEAD_ROW_ID, AuditChainHead, AuditCheckpoint, AuditEvent
from botfolio.audit.service import GENESIS_HASH, chain_hash
from botfolio.db.database import Database
from botfolio.errors import ValidationFailedError

RETENTION_PURGED_ACTION = "audit.retention_purged"
DEFAULT_BATCH_SIZE = 1000
_ROW_COLUMNS = (
    AuditEvent.id,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.target_type,
    AuditEvent.target_id,
    AuditEvent.source_ip,
    AuditEvent.details,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


class ProblemKind(StrEnum):
    ALTERED = "altered"
    BROKEN_LINK = "broken_link"
    MISSING = "missing"
    TRUNCATED = "truncated"
    UNRECORDED = "unrecorded"
    HEAD_MISMATCH = "head_mismatch"
    BEFORE_CHECKPOINT = "before_checkpoint"
    UNCONFIRMED_CHECKPOINT = "unconfirmed_checkpoint"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class ChainProblem:
    kind: ProblemKind
    event_id: int
    message: str


@dataclass(frozen=True)
class ChainAnchor:
    """An (id, hash) pair kept outside the database by an earlier verification."""

    event_id: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> ChainAnchor:
        raw_id, _, raw_hash = text.partition(":")
        if not raw_id.isdigit() or len(raw_hash) != 64:
            raise ValidationFailedError(
                f"an anchor reads '<event id>:<64 hex digits>', not {text!r}"
            )
        return cls(int(raw_id), raw_hash.lower())


@dataclass(frozen=True)
class VerificationReport:
    events_verified: int
    problem: ChainProblem | None
    last_id: int | None
    last_hash: str | None
    checkpoint_through_id: int | None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class _Checkpoint:
    through_id: int
    through_hash: str


class _ChainWalk:
    """The state of one walk: what the next row must look like."""

    def __init__(self, checkpoint: _Checkpoint | None) -> None:
        self.checkpoint = checkpoint
        self.expected_id = checkpoint.through_id + 1 if checkpoint else 1
        self.expected_prev = checkpoint.through_hash if checkpoint else GENESIS_HASH
        self.verified = 0
        self.checkpoint_confirmed = checkpoint is None
        self.last_hash: str | None = None
        self.anchor_hash_seen: str | None = None

    def check(self, row: Row[Any], anchor: ChainAnchor | None) -> ChainProblem | None:
        problem = self._problem_of(row)
        if problem is not None:
            return problem
        self._confirm_checkpoint(row)
        if anchor is not None and row.id == anchor.event_id:
            self.anchor_hash_seen = row.hash
        self.verified += 1
        self.expected_id = row.id + 1
        self.expected_prev = row.hash
        self.last_hash = row.hash
        return None

    def _problem_of(self, row: Row[Any]) -> ChainProblem | None:
        if row.id != self.expected_id:
            return ChainProblem(
                ProblemKind.MISSING,
                self.expected_id,
                f"audit event {self.expected_id} is missing (deleted): the next row is {row.id}",
            )
        if row.prev_hash != self.expected_prev:
            return ChainProblem(
                ProblemKind.BROKEN_LINK,
                row.id,
                f"audit event {row.id} does not link to the event before it (prev_hash changed)",
            )
        if chain_hash(row.prev_hash, row._mapping) != row.hash:
            return ChainProblem(
                ProblemKind.ALTERED,
                row.id,
                f"audit event {row.id} does not match its hash (the row was edited)",
            )
        return None

    def _confirm_checkpoint(self, row: Row[Any]) -> None:
        if self.checkpoint is None or row.action != RETENTION_PURGED_ACTION:
            return
        details = row.details if isinstance(row.details, dict) else {}
        if (
            details.get("through_id") == self.checkpoint.through_id
            and details.get("through_hash") == self.checkpoint.through_hash
        ):
            self.checkpoint_confirmed = True


async def verify_audit_chain(
    db: Database, *, batch_size: int = DEFAULT_BATCH_SIZE, anchor: ChainAnchor | None = None
) -> VerificationReport:
    """Verify on one consistent snapshot, so concurrent appends and purges cause no false alarm.

    On PostgreSQL the snapshot is a REPEATABLE READ read-only transaction (writers carry on); on
    SQLite the transaction holds the database's write lock while it reads.
    """
    options: dict[str, Any] = {}
    if db.dialect == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    async with db.session() as session:
        await session.connection(execution_options=options)
        try:
            return await verify_chain(session, batch_size=batch_size, anchor=anchor)
        finally:
            await session.rollback()


async def verify_chain(
    session: AsyncSession,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    anchor: ChainAnchor | None = None,
) -> VerificationReport:
    """Walk the chain from the newest retention checkpoint and report the first problem."""
    if batch_size < 1:
        raise ValidationFailedError("batch_size must be at least 1")
    checkpoint = await _latest_checkpoint(session)
    walk = _ChainWalk(checkpoint)
    problem = await _row_before_checkpoint(session, checkpoint)
    if problem is None:
        async for row in _rows_after(session, walk.expected_id - 1, batch_size):
            problem = walk.check(row, anchor)
            if problem is not None:
                break
    if problem is None:
        problem = await _tail_problem(session, walk)
    if problem is None:
        problem = _checkpoint_problem(walk) or _anchor_problem(walk, anchor)
    return VerificationReport(
        events_verified=walk.verified,
        problem=problem,
        last_id=walk.expected_id - 1 if walk.last_hash else None,
        last_hash=walk.last_hash,
        checkpoint_through_id=checkpoint.through_id if checkpoint else None,
    )


async def _latest_checkpoint(session: AsyncSession) -> _Checkpoint | None:
    row = (
        await session.execute(
            select(AuditCheckpoint.through_id, AuditCheckpoint.through_hash)
            .order_by(AuditCheckpoint.through_id.desc())
            .limit(1)
        )
    ).first()
    return _Checkpoint(row.through_id, row.through_hash) if row else None


async def _row_before_checkpoint(
    session: AsyncSession, checkpoint: _Checkpoint | None
) -> ChainProblem | None:
    if checkpoint is None:
        return None
    first = await session.scalar(
        select(func.min(AuditEvent.id)).where(AuditEvent.id <= checkpoint.through_id)
    )
    if first is None:
        return None
    return ChainProblem(
        ProblemKind.BEFORE_CHECKPOINT,
        first,
        f"audit event {first} is older than the retention checkpoint "
        f"(events up to {checkpoint.through_id} were purged)",
    )


async def _rows_after(
    session: AsyncSession, after_id: int, batch_size: int
) -> AsyncIterator[Row[Any]]:
    """Keyset pagination: one batch in memory at a time, whatever the length of the chain."""
    while True:
        result: Result[Any] = await session.execute(
            select(*_ROW_COLUMNS)
            .where(AuditEvent.id > after_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        )
        batch: Sequence[Row[Any]] = result.all()
        for row in batch:
            yield row
        if len(batch) < batch_size:
            return
        after_id = batch[-1].id


async def _tail_problem(session: AsyncSession, walk: _ChainWalk) -> ChainProblem | None:
    head = (
        await session.execute(
            select(AuditChainHead.last_id, AuditChainHead.last_hash).where(
                AuditChainHead.id == CHAIN_HEAD_ROW_ID
            )
        )
    ).first()
    last_id = walk.expected_id - 1
    if head is None:
        if walk.verified == 0 and walk.checkpoint is None:
            return None
        return ChainProblem(
            ProblemKind.TRUNCATED, last_id, "the audit chain head record is missing"
        )
    if head.last_id > last_id:
        return ChainProblem(
            ProblemKind.TRUNCATED,
            last_id + 1,
            f"audit events {last_id + 1}..{head.last_id} are missing (the tail was deleted)",
        )
    if head.last_id < last_id:
        return ChainProblem(
            ProblemKind.UNRECORDED,
            head.last_id + 1,
            f"audit event {head.last_id + 1} was not appended through the chain head",
        )
    if walk.last_hash is not None and head.last_hash != walk.last_hash:
        return ChainProblem(
            ProblemKind.HEAD_MISMATCH,
            last_id,
            f"audit event {last_id} differs from the hash the chain head recorded for it",
        )
    return None


def _checkpoint_problem(walk: _ChainWalk) -> ChainProblem | None:
    if walk.checkpoint is None or walk.checkpoint_confirmed:
        return None
    through = walk.checkpoint.through_id
    return ChainProblem(
        ProblemKind.UNCONFIRMED_CHECKPOINT,
        through,
        f"no {RETENTION_PURGED_ACTION} event vouches for the checkpoint at event {through}",
    )


def _anchor_problem(walk: _ChainWalk, anchor: ChainAnchor | None) -> ChainProblem | None:
    if anchor is None:
        return None
    if walk.checkpoint is not None and anchor.event_id <= walk.checkpoint.through_id:
        return None  # legitimately purged since the anchor was taken
    if walk.anchor_hash_seen == anchor.hash:
        return None
    return ChainProblem(
        ProblemKind.ANCHOR_MISMATCH,
        anchor.event_id,
        f"audit event {anchor.event_id} is gone or differs from the anchor kept outside",
    )
