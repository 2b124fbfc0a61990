"""Imports every domain's ORM models so that metadata (migrations, schema checks) sees all tables."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "botfolio.jobs.models",
    "botfolio.audit.models",
    "botfolio.audit.access",
    "botfolio.auth.models",
    "botfolio.market.models",
    "botfolio.exchanges.models",
    "botfolio.orders.models",
    "botfolio.notifications.models",
    "botfolio.alerts.models",
    "botfolio.predictions.models",
    "botfolio.bots.models",
    "botfolio.risk.models",
    "botfolio.portfolio.models",
    "botfolio.backtest.models",
)


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
