"""Every router the API serves, in one list: a new domain adds its router here."""

from __future__ import annotations

from fastapi import APIRouter

from botfolio.alerts.endpoints import router as alerts_router
from botfolio.auth.endpoints import router as auth_router
from botfolio.backtest.endpoints import router as backtests_router
from botfolio.bots.endpoints import router as bots_router
from botfolio.exchanges.endpoints import router as exchanges_router
from botfolio.notifications.endpoints import router as notifications_router
from botfolio.ops.endpoints import router as ops_router
from botfolio.portfolio.endpoints import router as portfolio_router
from botfolio.predictions.registry_endpoints import router as models_router
from botfolio.risk.endpoints import router as risk_router


def all_routers() -> list[APIRouter]:
    return [
        ops_router,
        auth_router,
        exchanges_router,
        models_router,
        bots_router,
        notifications_router,
        alerts_router,
        risk_router,
        portfolio_router,
        backtests_router,
    ]
