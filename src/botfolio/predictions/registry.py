"""Registry use cases: register an artifact, promote through the gate, roll back, read history.

Every change bumps the family's revision (engines hot-reload on it), writes a transition row and
an audit event, all in the caller's transaction. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError
from botfolio.logs import get_logger
from botfolio.predictions import registry_repository as repo
from botfolio.predictions.artifacts import ModelMetadata, load_artifact
from botfolio.predictions.models import ModelState, ModelTransition, ModelVersion
from botfolio.predictions.registry_gate import GateVerdict, compare_stored_holdout, reevaluate
from botfolio.predictions.rollback_alerts import queue_operator_alert
from botfolio.predictions.serving_config import DEFAULT_FAMILY

log = get_logger(__name__)

DEFAULT_CANARY_SHARE = 0.1


@dataclass(frozen=True)
class ServingSnapshot:
    """What a family serves at one revision: the champion, the canary, and the fallback (the
    champion before this one), which engines keep loaded so a rollback needs no disk read."""

    family: str
    revision: int
    champion: ModelVersion | None
    canary: ModelVersion | None
    fallback: ModelVersion | None


@dataclass(frozen=True)
class PromotionOutcome:
    version: ModelVersion
    verdict: GateVerdict | None
    forced: bool


@dataclass(frozen=True)
class RollbackOutcome:
    """`rolled_back` is the version taken out of service; `restored` the champion now serving."""

    rolled_back: ModelVersion | None
    restored: ModelVersion | None
    changed: bool


async def get_version(session: AsyncSession, version_id: str) -> ModelVersion:
    version = await repo.get_version(session, version_id)
    if version is None:
        raise NotFoundError(f"no model version {version_id}", version_id=version_id)
    return version


async def register_version(
    session: AsyncSession,
    clock: Clock,
    *,
    artifact_dir: Path,
    actor: Actor,
    family: str = DEFAULT_FAMILY,
) -> ModelVersion:
    """Verify the artifact (sha256, features) and record it as a candidate."""
    meta, path = _verified_artifact(artifact_dir)
    existing = await repo.find_by_sha(session, family, meta.model_sha256)
    if existing is not None:
        raise ConflictError(
            f"this model is already registered as {existing.id}", version_id=existing.id
        )
    now = clock.now()
    version = ModelVersion(
        id=new_id(),
        family=family,
        model_key=meta.model_id,
        artifact_path=path,
        artifact_sha256=meta.model_sha256,
        feature_set=meta.feature_set,
        timeframe=meta.timeframe,
        horizon=meta.horizon,
        symbols=list(meta.symbols),
        data_start=meta.data_start,
        data_end=meta.data_end,
        metrics=meta.metrics,
        state=ModelState.CANDIDATE.value,
        canary_share=0.0,
        forced=False,
        created_at=now,
        updated_at=now,
    )
    session.add(version)
    await session.flush()
    await _record(session, clock, version, None, "registered", "register", actor, False, {})
    return version


def _verified_artifact(artifact_dir: Path) -> tuple[ModelMetadata, str]:
    """The artifact's metadata once its hash and features check out, and its absolute path."""
    return load_artifact(artifact_dir).metadata, str(artifact_dir.resolve())


async def promote(
    session: AsyncSession,
    clock: Clock,
    version_id: str,
    *,
    to: ModelState,
    actor: Actor,
    share: float | None = None,
    force: bool = False,
    reason: str | None = None,
    gate_candles: Mapping[str, pd.DataFrame] | None = None,
) -> PromotionOutcome:
    """Move a version to canary or champion. Against an existing champion it must pass the gate,
    unless `force` (which needs a reason and is audited as forced)."""
    if to not in (ModelState.CANARY, ModelState.CHAMPION):
        raise ValidationFailedError("a version can be promoted to canary or champion only")
    if force and not (reason and reason.strip()):
        raise ValidationFailedError("a forced promotion needs a --reason for the audit log")
    version = await get_version(session, version_id)
    await repo.lock_family(session, version.family, clock.now())
    champion = await _one(session, version.family, ModelState.CHAMPION)
    _check_promotable(version, to, champion)
    verdict = None
    if champion is not None and champion.id != version.id:
        verdict = _gate(version, champion, gate_candles)
        if not verdict.passed and not force:
            raise ConflictError(
                f"promotion refused by the gate: {verdict.reason}", **verdict.as_dict()
            )
    if to is ModelState.CANARY:
        await _make_canary(session, clock, version, share, actor, force, reason, verdict)
    else:
        await _make_champion(session, clock, version, champion, actor, force, reason, verdict)
    return PromotionOutcome(version=version, verdict=verdict, forced=force)


def _check_promotable(version: ModelVersion, to: ModelState, champion: ModelVersion | None) -> None:
    if version.state == to.value:
        raise ConflictError(f"version {version.id} is already {to.value}")
    if version.state == ModelState.CHAMPION.value:
        raise ConflictError(f"version {version.id} is the champion; roll back instead")
    if champion is not None and (version.timeframe, version.horizon) != (
        champion.timeframe,
        champion.horizon,
    ):
        raise ConflictError(
            f"a family serves one timeframe and horizon: the champion uses {champion.timeframe} "
            f"h{champion.horizon}, this version {version.timeframe} h{version.horizon}"
        )
    if to is ModelState.CANARY and champion is None:
        raise ConflictError(
            "there is no champion yet to compare a canary with: promote to champion"
        )


def _gate(
    version: ModelVersion,
    champion: ModelVersion,
    gate_candles: Mapping[str, pd.DataFrame] | None,
) -> GateVerdict:
    if gate_candles:
        fresh = reevaluate(
            load_artifact(Path(version.artifact_path)),
            load_artifact(Path(champion.artifact_path)),
            gate_candles,
        )
        if fresh is not None:
            return fresh
    return compare_stored_holdout(version, champion)


async def _make_canary(
    session: AsyncSession,
    clock: Clock,
    version: ModelVersion,
    share: float | None,
    actor: Actor,
    force: bool,
    reason: str | None,
    verdict: GateVerdict | None,
) -> None:
    share = DEFAULT_CANARY_SHARE if share is None else share
    if not 0 < share < 1:
        raise ValidationFailedError("the canary share must lie strictly between 0 and 1")
    for other in await repo.versions_in_state(session, version.family, ModelState.CANARY):
        await _move(
            session,
            clock,
            other,
            ModelState.CANDIDATE,
            "superseded by a new canary",
            "superseded",
            actor,
            False,
            {"by": version.id},
        )
    version.canary_share = share
    details = {"share": share, "gate": verdict.as_dict() if verdict else None}
    await _move(
        session,
        clock,
        version,
        ModelState.CANARY,
        reason or "canary started",
        "promote",
        actor,
        force,
        details,
    )


async def _make_champion(
    session: AsyncSession,
    clock: Clock,
    version: ModelVersion,
    champion: ModelVersion | None,
    actor: Actor,
    force: bool,
    reason: str | None,
    verdict: GateVerdict | None,
) -> None:
    details = {"gate": verdict.as_dict() if verdict else None}
    if champion is not None:
        await _move(
            session,
            clock,
            champion,
            ModelState.RETIRED,
            "replaced by a new champion",
            "replaced",
            actor,
            False,
            {"by": version.id},
        )
        version.previous_champion_id = champion.id
    version.canary_share = 0.0
    version.promoted_at = clock.now()
    version.promoted_by = actor.user_id
    version.forced = force
    text = reason or ("first champion" if champion is None else "passed the promotion gate")
    await _move(
        session, clock, version, ModelState.CHAMPION, text, "promote", actor, force, details
    )


async def rollback(
    session: AsyncSession,
    clock: Clock,
    *,
    family: str = DEFAULT_FAMILY,
    actor: Actor,
    reason: str,
    trigger: str = "manual",
    version_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> RollbackOutcome:
    """Take the canary (default, if any) or the champion out of service; a champion hands over
    to the champion it replaced. Automatic rollbacks name the failing `version_id`: if it no
    longer serves (another replica already acted), nothing changes."""
    await repo.lock_family(session, family, clock.now())
    target = await _rollback_target(session, family, version_id)
    if target is None:
        if trigger == "manual":
            raise ConflictError(f"family {family!r} has no canary or champion to roll back")
        return RollbackOutcome(None, None, changed=False)
    info = {"trigger": trigger, **(details or {})}
    if target.state == ModelState.CANARY.value:
        await _move(session, clock, target, ModelState.RETIRED, reason, trigger, actor, False, info)
        target.canary_share = 0.0
        restored = await _one(session, family, ModelState.CHAMPION)
    else:
        restored = await _restore_previous(session, clock, target, actor, reason, trigger, info)
    if trigger != "manual":
        await _alert_operators(session, clock, target, restored, trigger, reason)
    log.warning(
        "model.rolled_back",
        family=family,
        version_id=target.id,
        restored=restored.id if restored else None,
        trigger=trigger,
        reason=reason,
    )
    return RollbackOutcome(rolled_back=target, restored=restored, changed=True)


async def _alert_operators(
    session: AsyncSession,
    clock: Clock,
    target: ModelVersion,
    restored: ModelVersion | None,
    trigger: str,
    reason: str,
) -> None:
    serving = f"champion {restored.id} now serves" if restored else "NO model can serve"
    await queue_operator_alert(
        session,
        clock,
        severity="critical",
        key=f"predictions.rollback:{target.id}",
        title=f"model {target.model_key} rolled back automatically ({trigger}); {serving}",
        details={
            "family": target.family,
            "version_id": target.id,
            "trigger": trigger,
            "reason": reason,
            "restored": restored.id if restored else None,
        },
    )


async def _rollback_target(
    session: AsyncSession, family: str, version_id: str | None
) -> ModelVersion | None:
    if version_id is not None:
        version = await get_version(session, version_id)
        serving = (ModelState.CANARY.value, ModelState.CHAMPION.value)
        return version if version.family == family and version.state in serving else None
    canary = await _one(session, family, ModelState.CANARY)
    return canary or await _one(session, family, ModelState.CHAMPION)


async def _restore_previous(
    session: AsyncSession,
    clock: Clock,
    champion: ModelVersion,
    actor: Actor,
    reason: str,
    trigger: str,
    info: dict[str, Any],
) -> ModelVersion | None:
    previous = None
    if champion.previous_champion_id is not None:
        previous = await repo.get_version(session, champion.previous_champion_id)
    if previous is None and trigger == "manual":
        raise ConflictError("the champion has no previous champion to return to")
    await _move(session, clock, champion, ModelState.RETIRED, reason, trigger, actor, False, info)
    if previous is not None:
        await _move(
            session,
            clock,
            previous,
            ModelState.CHAMPION,
            f"restored: {reason}",
            trigger,
            actor,
            False,
            {**info, "from": champion.id},
        )
    return previous


async def _one(session: AsyncSession, family: str, state: ModelState) -> ModelVersion | None:
    found = await repo.versions_in_state(session, family, state)
    return found[0] if found else None


async def _move(
    session: AsyncSession,
    clock: Clock,
    version: ModelVersion,
    to: ModelState,
    reason: str,
    trigger: str,
    actor: Actor,
    forced: bool,
    details: dict[str, Any],
) -> None:
    previous = version.state
    now = clock.now()
    version.state = to.value
    version.updated_at = now
    if to is ModelState.RETIRED:
        version.retired_at = now
    await session.flush()
    await _record(session, clock, version, previous, reason, trigger, actor, forced, details)


async def _record(
    session: AsyncSession,
    clock: Clock,
    version: ModelVersion,
    previous: str | None,
    reason: str,
    trigger: str,
    actor: Actor,
    forced: bool,
    details: dict[str, Any],
) -> None:
    await repo.add_transition(
        session,
        version,
        from_state=previous,
        reason=reason,
        trigger=trigger,
        actor_id=actor.user_id,
        forced=forced,
        details=details,
        at=clock.now(),
    )
    await record_event(
        session,
        clock,
        actor=actor,
        action=_audit_action(trigger, forced, version.state),
        target_type="model_version",
        target_id=version.id,
        details={
            "family": version.family,
            "from": previous,
            "to": version.state,
            "reason": reason,
            **details,
        },
    )


_ACTIONS = {
    "register": "model.registered",
    "promote": "model.promoted",
    "replaced": "model.retired",
    "superseded": "model.canary_superseded",
}


def _audit_action(trigger: str, forced: bool, state: str) -> str:
    if forced:
        return "model.promotion_forced"
    if trigger in _ACTIONS:
        return _ACTIONS[trigger]
    return "model.restored" if state == ModelState.CHAMPION.value else "model.rolled_back"


async def serving_snapshot(session: AsyncSession, family: str = DEFAULT_FAMILY) -> ServingSnapshot:
    revision = await repo.current_revision(session, family)
    champion = await _one(session, family, ModelState.CHAMPION)
    canary = await _one(session, family, ModelState.CANARY)
    fallback = None
    if champion is not None and champion.previous_champion_id is not None:
        fallback = await repo.get_version(session, champion.previous_champion_id)
    return ServingSnapshot(family, revision, champion, canary, fallback)


async def list_versions(session: AsyncSession, family: str | None = None) -> Sequence[ModelVersion]:
    return await repo.list_versions(session, family)


async def history(
    session: AsyncSession, family: str | None = None, *, limit: int = 100
) -> Sequence[ModelTransition]:
    if not 1 <= limit <= 1000:
        raise ValidationFailedError("limit must be between 1 and 1000")
    return await repo.list_transitions(session, family, limit)
