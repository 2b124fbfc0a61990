"""Writing audit events. Callers pass their session: the event commits with the change it records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.models import AuditEvent
from botfolio.clock import Clock

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x0B0F_A0D1  # pg_advisory_xact_lock key that serialises appends to the chain
_SECRET_MARKERS = ("password", "secret", "token", "totp", "recovery", "api_key", "code")


@dataclass(frozen=True)
class Actor:
    """Who did it and from where; `user_id` is None for the system itself."""

    user_id: str | None
    source_ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, source_ip=None)


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
    does the same), so the chain never forks.
    """
    clean = _without_secrets(details or {})
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    last = (
        await session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        )
    ).first()
    prev_hash = last.hash if last else GENESIS_HASH
    next_id = (last.id + 1) if last else 1
    event = AuditEvent(
        id=next_id,
        occurred_at=clock.now(),
        actor_id=actor.user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        source_ip=actor.source_ip,
        details=clean,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    await session.flush()
    return event


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the previous hash and the canonical JSON of every field that matters."""
    payload = {
        "id": event.id,
        "occurred_at": _iso(event.occurred_at),
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "source_ip": event.source_ip,
        "details": event.details,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((event.prev_hash + canonical).encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _without_secrets(details: dict[str, Any]) -> dict[str, Any]:
    return {
        key: ("**********" if any(m in key.lower() for m in _SECRET_MARKERS) else value)
        for key, value in details.items()
    }
