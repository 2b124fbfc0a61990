"""Writing audit events. Callers pass their session: the event commits with the change it records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Table, Update, and_, bindparam, case, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.models import CHAIN_HEAD_ROW_ID, AuditChainHead, AuditEvent
from botfolio.clock import Clock, ensure_utc

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x0B0F_A0D1  # pg_advisory_xact_lock key that serialises appends to the chain
_SECRET_MARKERS = ("password", "secret", "token", "totp", "recovery", "api_key", "code")
HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "source_ip",
    "details",
)

_STORED_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash")


@dataclass(frozen=True)
class Actor:
    """Who did it and from where; `user_id` is None for the system itself."""

    user_id: str | None
    source_ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, source_ip=None)


@dataclass(frozen=True)
class ChainTip:
    """The newest link of the chain: the next event gets `last_id + 1` and links to `last_hash`."""

    last_id: int
    last_hash: str
    from_head_row: bool


async def record_event(
    session: AsyncSession,
    clock: Clock,
    *,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Appends are serialised (an advisory lock on PostgreSQL; SQLite's write lock, taken at BEGIN,
    does the same), so the chain never forks. The chain head row moves in the same transaction.
    The returned event is not attached to the session (it is written with a Core INSERT).
    """
    # A JSON round trip stores exactly what was hashed (non-string keys, Decimals, ...).
    clean = json.loads(json.dumps(_without_secrets(details or {}), default=str))
    draft = _Draft(
        occurred_at=ensure_utc(clock.now()),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=clean,
    )
    await lock_chain(session)
    engine = _engine_of(session)
    event = await _append_after_remembered_tip(session, engine, draft)
    if event is None:
        tip = await chain_tip(session)
        event = draft.linked_to(tip)
        await _insert(session, event)
        await _move_head(session, event, had_head=tip.from_head_row)
    _remembered_tips[engine] = ChainTip(event.id, event.hash, from_head_row=True)
    return event


@dataclass(frozen=True)
class _Draft:
    """An event before it knows its place in the chain."""

    occurred_at: datetime
    actor: Actor
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]

    def linked_to(self, tip: ChainTip) -> AuditEvent:
        event = AuditEvent(
            id=tip.last_id + 1,
            occurred_at=self.occurred_at,
            actor_id=self.actor.user_id,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            source_ip=self.actor.source_ip,
            details=self.details,
            prev_hash=tip.last_hash,
        )
        event.hash = event_hash(event)
        return event


# The tip this process last appended, per engine: usually still the tip at the next append, so
# the head can be read and moved in one statement. Only a hint; the database decides.
_remembered_tips: WeakKeyDictionary[Engine, ChainTip] = WeakKeyDictionary()


async def _append_after_remembered_tip(
    session: AsyncSession, engine: Engine, draft: _Draft
) -> AuditEvent | None:
    """Link to the remembered tip and move the head there, if the head still is that tip.

    One UPDATE .. RETURNING compares and moves the head under the chain lock. When the head
    has moved on (another process appended, our last transaction rolled back), it is left as
    it was and its values come back: the event is linked to them instead, costing no more
    statements than reading the tip first. None when there is nothing to compare with (no tip
    remembered, or an older database without the head row): the caller reads the tip.
    """
    remembered = _remembered_tips.get(engine)
    if remembered is None:
        return None
    event = draft.linked_to(remembered)
    params = {
        "tip_id": remembered.last_id,
        "tip_hash": remembered.last_hash,
        "new_id": event.id,
        "new_hash": event.hash,
        "now": event.occurred_at,
    }
    head = (await session.execute(_MOVE_HEAD_IF_AT, params)).first()
    if head is None:
        return None
    if (head.last_id, head.last_hash) == (event.id, event.hash):
        await _insert(session, event)
        return event
    event = draft.linked_to(ChainTip(head.last_id, head.last_hash, from_head_row=True))
    await _insert(session, event)
    await _move_head(session, event, had_head=True)
    return event


_events = cast(Table, AuditEvent.__table__)
_head = cast(Table, AuditChainHead.__table__)
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:k)")
_INSERT_EVENT = insert(_events)


def _move_head_if_at_statement() -> Update:
    """UPDATE the head to the new event where it is the remembered tip, else rewrite it unchanged;
    RETURNING the head as it now stands. Built once; parameters: tip_id, tip_hash, new_id,
    new_hash, now."""
    c = _head.c
    at_tip = and_(
        c.last_id == bindparam("tip_id", type_=c.last_id.type),
        c.last_hash == bindparam("tip_hash", type_=c.last_hash.type),
    )

    def moved(column: Any, name: str) -> Any:
        return case((at_tip, bindparam(name, type_=column.type)), else_=column)

    return (
        update(_head)
        .where(c.id == CHAIN_HEAD_ROW_ID)
        .values(
            last_id=moved(c.last_id, "new_id"),
            last_hash=moved(c.last_hash, "new_hash"),
            updated_at=moved(c.updated_at, "now"),
        )
        .returning(c.last_id, c.last_hash)
    )


_MOVE_HEAD_IF_AT = _move_head_if_at_statement()


async def _insert(session: AsyncSession, event: AuditEvent) -> None:
    """A Core INSERT: cheaper than an ORM add + flush, and nothing reads the object back."""
    await session.execute(
        _INSERT_EVENT, {column: getattr(event, column) for column in _STORED_FIELDS}
    )


def _engine_of(session: AsyncSession) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


async def lock_chain(session: AsyncSession) -> None:
    """Serialise writers of the chain (appends, purges) until the caller's transaction ends."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(_LOCK_CHAIN, {"k": _CHAIN_LOCK_KEY})


async def chain_tip(session: AsyncSession) -> ChainTip:
    """Where the next event links: the head row, else the newest event (older databases)."""
    head = (
        await session.execute(
            select(AuditChainHead.last_id, AuditChainHead.last_hash).where(
                AuditChainHead.id == CHAIN_HEAD_ROW_ID
            )
        )
    ).first()
    if head is not None:
        return ChainTip(head.last_id, head.last_hash, from_head_row=True)
    last = (
        await session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        )
    ).first()
    if last is None:
        return ChainTip(0, GENESIS_HASH, from_head_row=False)
    return ChainTip(last.id, last.hash, from_head_row=False)


async def _move_head(session: AsyncSession, event: AuditEvent, *, had_head: bool) -> None:
    values = {"last_id": event.id, "last_hash": event.hash, "updated_at": event.occurred_at}
    if had_head:
        statement = update(AuditChainHead).where(AuditChainHead.id == CHAIN_HEAD_ROW_ID)
        await session.execute(statement.values(**values))
    else:
        await session.execute(insert(AuditChainHead).values(id=CHAIN_HEAD_ROW_ID, **values))


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the previous hash and the canonical JSON of every field that matters."""
    return chain_hash(event.prev_hash, {name: getattr(event, name) for name in HASHED_FIELDS})


def chain_hash(prev_hash: str, fields: Mapping[Any, Any]) -> str:
    """The hash of one link from its stored fields; verification recomputes it from rows."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["occurred_at"] = _iso(ensure_utc(fields["occurred_at"]))
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _without_secrets(details: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ("**********" if any(m in key.lower() for m in _SECRET_MARKERS) else value)
        for key, value in details.items()
    }
