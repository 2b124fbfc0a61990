"""`/v1/admin/alerts` (list, acknowledge, resolve) and `/v1/admin/oncall` (the rota)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from botfolio.alerts import repository, rota, service
from botfolio.alerts.schemas import AlertView, ResolveBody, ShiftBody, ShiftView
from botfolio.audit.service import Actor
from botfolio.auth.dependencies import UnitOfWork, require, runtime_of
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal

router = APIRouter(tags=["alerts"])

OpsReader = Annotated[Principal, Depends(require(Permission.OPS_READ))]
OpsActor = Annotated[Principal, Depends(require(Permission.OPS_ACT))]


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.source_ip)


@router.get("/v1/admin/alerts")
async def list_alerts(
    _principal: OpsReader,
    session: UnitOfWork,
    status_: str | None = Query(None, alias="status", max_length=16),
    severity: str | None = Query(None, max_length=10),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AlertView]:
    rows = await service.list_alerts(session, status=status_, severity=severity, limit=limit)
    return [AlertView.of(row) for row in rows]


@router.post("/v1/admin/alerts/{alert_id}/acknowledge")
async def acknowledge(
    alert_id: str, principal: OpsActor, session: UnitOfWork, request: Request
) -> AlertView:
    """Stop paging and escalation for this alert: someone is on it (audited)."""
    alert = await service.acknowledge(
        session, runtime_of(request).clock, alert_id, actor=_actor(principal)
    )
    return AlertView.of(alert)


@router.post("/v1/admin/alerts/{alert_id}/resolve")
async def resolve(
    alert_id: str, body: ResolveBody, principal: OpsActor, session: UnitOfWork, request: Request
) -> AlertView:
    alert = await service.resolve(
        session, runtime_of(request).clock, alert_id, actor=_actor(principal), note=body.note
    )
    return AlertView.of(alert)


@router.get("/v1/admin/oncall")
async def list_shifts(
    _principal: OpsReader, session: UnitOfWork, request: Request
) -> list[ShiftView]:
    rows = await repository.all_shifts(session, ending_after=runtime_of(request).clock.now())
    return [ShiftView.of(row) for row in rows]


@router.post("/v1/admin/oncall", status_code=status.HTTP_201_CREATED)
async def add_shift(
    body: ShiftBody, principal: OpsActor, session: UnitOfWork, request: Request
) -> ShiftView:
    shift = await rota.add_shift(
        session,
        runtime_of(request).clock,
        user_id=body.user_id,
        level=body.level,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        actor=_actor(principal),
    )
    return ShiftView.of(shift)
