"""All SQL of the model registry: versions, transitions and the per-family revision counter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.db.ids import new_id
from botfolio.predictions.models import ModelState, ModelTransition, ModelVersion, RegistryHead


async def get_version(session: AsyncSession, version_id: str) -> ModelVersion | None:
    return await session.get(ModelVersion, version_id, populate_existing=True)


async def versions_in_state(
    session: AsyncSession, family: str, state: ModelState
) -> Sequence[ModelVersion]:
    stmt = (
        select(ModelVersion)
        .where(ModelVersion.family == family, ModelVersion.state == state.value)
        .order_by(ModelVersion.updated_at.desc(), ModelVersion.id.desc())
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).all()


async def list_versions(session: AsyncSession, family: str | None) -> Sequence[ModelVersion]:
    stmt = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
    if family is not None:
        stmt = stmt.where(ModelVersion.family == family)
    return (await session.scalars(stmt)).all()


async def find_by_sha(session: AsyncSession, family: str, sha256: str) -> ModelVersion | None:
    stmt = select(ModelVersion).where(
        ModelVersion.family == family, ModelVersion.artifact_sha256 == sha256
    )
    return (await session.scalars(stmt)).first()


async def list_transitions(
    session: AsyncSession, family: str | None, limit: int
) -> Sequence[ModelTransition]:
    stmt = select(ModelTransition).order_by(ModelTransition.at.desc(), ModelTransition.id.desc())
    if family is not None:
        stmt = stmt.where(ModelTransition.family == family)
    return (await session.scalars(stmt.limit(limit))).all()


async def add_transition(
    session: AsyncSession,
    version: ModelVersion,
    *,
    from_state: str | None,
    reason: str,
    trigger: str,
    actor_id: str | None,
    forced: bool,
    details: dict[str, Any],
    at: datetime,
) -> ModelTransition:
    transition = ModelTransition(
        id=new_id(),
        model_version_id=version.id,
        family=version.family,
        from_state=from_state,
        to_state=version.state,
        reason=reason,
        trigger=trigger,
        actor_id=actor_id,
        forced=forced,
        details=details,
        at=at,
    )
    session.add(transition)
    return transition


async def lock_family(session: AsyncSession, family: str, now: datetime) -> int:
    """Bump the family's revision first thing in a registry change: it serialises concurrent
    changes of one family (the row lock on PostgreSQL, the write lock on SQLite) and tells every
    serving engine that its snapshot is out of date. Returns the new revision."""
    stmt = (
        update(RegistryHead)
        .where(RegistryHead.family == family)
        .values(revision=RegistryHead.revision + 1, updated_at=now)
        .returning(RegistryHead.revision)
    )
    revision = (await session.execute(stmt)).scalar_one_or_none()
    if revision is not None:
        return int(revision)
    session.add(RegistryHead(family=family, revision=1, updated_at=now))
    await session.flush()
    return 1


async def current_revision(session: AsyncSession, family: str) -> int:
    stmt = select(RegistryHead.revision).where(RegistryHead.family == family)
    revision = (await session.execute(stmt)).scalar_one_or_none()
    return int(revision) if revision is not None else 0
