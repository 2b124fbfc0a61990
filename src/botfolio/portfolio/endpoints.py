"""Routes: the owner's orders and portfolio (positions, PnL, equity series per bot)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from botfolio.auth.dependencies import UnitOfWork, require
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.orders.models import OrderStatus
from botfolio.portfolio import repository
from botfolio.portfolio.schemas import (
    BotPortfolioOut,
    OrderOut,
    OrdersPage,
    PortfolioPage,
)
from botfolio.portfolio.service import bot_portfolio

router = APIRouter(tags=["portfolio"])
OwnBots = Annotated[Principal, Depends(require(Permission.BOTS_OWN))]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


def _next_offset(count: int, limit: int, offset: int) -> int | None:
    return offset + limit if count == limit else None


@router.get("/v1/orders", response_model=OrdersPage)
async def list_my_orders(
    principal: OwnBots,
    session: UnitOfWork,
    bot_id: str | None = None,
    symbol: str | None = None,
    status: OrderStatus | None = None,
    since: AwareDatetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> OrdersPage:
    """The caller's orders, newest first; only orders of the caller's own accounts."""
    filters = repository.OrderFilters(bot_id, symbol, status.value if status else None, since)
    rows = await repository.list_owned_orders(
        session, principal.user_id, filters, limit=limit, offset=offset
    )
    return OrdersPage(
        items=[OrderOut.model_validate(r, from_attributes=True) for r in rows],
        limit=limit,
        offset=offset,
        next_offset=_next_offset(len(rows), limit, offset),
    )


@router.get("/v1/portfolio", response_model=PortfolioPage)
async def my_portfolio(
    principal: OwnBots,
    session: UnitOfWork,
    bot_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="Equity points from then.")] = None,
    equity_points: Annotated[int, Query(ge=1, le=5000)] = 500,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Offset = 0,
) -> PortfolioPage:
    """Per bot of the caller: positions from fills, realised and unrealised PnL, fees and the
    latest `equity_points` of the equity series (in the quote currency)."""
    bot_ids = await repository.list_owned_bot_ids(
        session, principal.user_id, bot_id=bot_id, limit=limit, offset=offset
    )
    bots = [
        BotPortfolioOut.model_validate(
            await bot_portfolio(session, b, since=since, equity_points=equity_points),
            from_attributes=True,
        )
        for b in bot_ids
    ]
    return PortfolioPage(
        bots=bots, limit=limit, offset=offset, next_offset=_next_offset(len(bot_ids), limit, offset)
    )
