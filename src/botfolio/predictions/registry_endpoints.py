"""`/v1/admin/models`: list, history, promote and roll back model versions (thin; see registry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from botfolio.audit.service import Actor
from botfolio.auth.dependencies import UnitOfWork, require, runtime_of
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.predictions import registry
from botfolio.predictions.models import ModelState
from botfolio.predictions.registry_schemas import (
    ModelVersionView,
    PromoteBody,
    PromotionView,
    RollbackBody,
    RollbackView,
    TransitionView,
)
from botfolio.predictions.sources import load_stored_candles

router = APIRouter(prefix="/v1/admin/models", tags=["models"])

OpsReader = Annotated[Principal, Depends(require(Permission.OPS_READ))]
ModelManager = Annotated[Principal, Depends(require(Permission.MODELS_MANAGE))]


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


@router.get("", response_model=list[ModelVersionView])
async def list_models(
    _principal: OpsReader,
    session: UnitOfWork,
    family: Annotated[str | None, Query(max_length=100)] = None,
) -> list[ModelVersionView]:
    """Every registered version, newest first, with its state and holdout metrics."""
    return [ModelVersionView.of(v) for v in await registry.list_versions(session, family)]


@router.get("/history", response_model=list[TransitionView])
async def model_history(
    _principal: OpsReader,
    session: UnitOfWork,
    family: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TransitionView]:
    """Every change of state, newest first: who, when, why, and the gate's verdict."""
    return [TransitionView.of(t) for t in await registry.history(session, family, limit=limit)]


@router.post("/{version_id}/promote", response_model=PromotionView)
async def promote_model(
    version_id: str,
    body: PromoteBody,
    request: Request,
    principal: ModelManager,
    session: UnitOfWork,
) -> PromotionView:
    """Promote to canary or champion through the gate; `force` needs a reason and is audited."""
    candles = None
    if body.venue is not None:
        version = await registry.get_version(session, version_id)
        candles = await load_stored_candles(session, body.venue, version.symbols, version.timeframe)
    outcome = await registry.promote(
        session,
        runtime_of(request).clock,
        version_id,
        to=ModelState(body.to),
        actor=_actor(principal),
        share=body.share,
        force=body.force,
        reason=body.reason,
        gate_candles=candles,
    )
    return PromotionView(
        version=ModelVersionView.of(outcome.version),
        forced=outcome.forced,
        gate=outcome.verdict.as_dict() if outcome.verdict else None,
    )


@router.post("/rollback", response_model=RollbackView)
async def rollback_model(
    body: RollbackBody, request: Request, principal: ModelManager, session: UnitOfWork
) -> RollbackView:
    """Take the canary (or, without one, the champion) out of service now."""
    outcome = await registry.rollback(
        session,
        runtime_of(request).clock,
        family=body.family,
        actor=_actor(principal),
        reason=body.reason,
        version_id=body.version_id,
    )
    return RollbackView(
        rolled_back=ModelVersionView.of(outcome.rolled_back) if outcome.rolled_back else None,
        restored=ModelVersionView.of(outcome.restored) if outcome.restored else None,
    )
