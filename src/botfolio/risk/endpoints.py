"""Routes: the operator's kill switch (`/v1/admin/trading`) and the owner's risk denials."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from botfolio.audit.service import Actor
from botfolio.auth.dependencies import UnitOfWork, require
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.clock import Clock
from botfolio.risk import service
from botfolio.risk.schemas import (
    RiskEventOut,
    RiskEventsPage,
    TradingStateChange,
    TradingStateOut,
    TradingStatesOut,
)
from botfolio.risk.state import TradingScope, TradingState

router = APIRouter(tags=["risk"])
OpsAct = Annotated[Principal, Depends(require(Permission.OPS_ACT))]
OwnBots = Annotated[Principal, Depends(require(Permission.BOTS_OWN))]


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.runtime.clock
    return clock


async def _states_out(session: UnitOfWork) -> TradingStatesOut:
    rows = await service.list_trading_states(session)
    global_state = next(
        (r.state for r in rows if r.scope == TradingScope.GLOBAL.value), TradingState.ACTIVE.value
    )
    return TradingStatesOut(
        global_state=global_state,
        states=[TradingStateOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get(
    "/v1/admin/trading",
    response_model=TradingStatesOut,
    dependencies=[Depends(require(Permission.OPS_READ))],
)
async def trading_states(session: UnitOfWork) -> TradingStatesOut:
    """The global state and every user or bot whose state was ever set."""
    return await _states_out(session)


@router.post("/v1/admin/trading", response_model=TradingStatesOut)
async def change_trading_state(
    body: TradingStateChange, request: Request, principal: OpsAct, session: UnitOfWork
) -> TradingStatesOut:
    """Halt, reduce or resume trading globally, for a user or for a bot (audited). Resuming a
    bot that a loss limit halted is its manual reset."""
    await service.set_trading_state(
        session,
        _clock(request),
        actor=Actor(principal.user_id, principal.source_ip),
        ref=service.ScopeRef.of(user_id=body.user_id, bot_id=body.bot_id),
        state=body.state,
        reason=body.reason,
    )
    return await _states_out(session)


@router.get("/v1/risk/events", response_model=RiskEventsPage)
async def my_risk_events(
    principal: OwnBots,
    session: UnitOfWork,
    bot_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RiskEventsPage:
    """Orders the risk engine refused for the caller's bots, newest first, with the reason."""
    rows = await service.list_risk_events(
        session, user_id=principal.user_id, bot_id=bot_id, limit=limit, offset=offset
    )
    return RiskEventsPage(
        items=[RiskEventOut.model_validate(r, from_attributes=True) for r in rows],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(rows) == limit else None,
    )
