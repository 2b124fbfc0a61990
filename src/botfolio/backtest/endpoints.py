"""Route: POST /v1/backtests runs a backtest on stored candles with a registered model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.auth.dependencies import UnitOfWork, require
from botfolio.auth.permissions import Permission
from botfolio.auth.principal import Principal
from botfolio.backtest.engine import BacktestConfig
from botfolio.backtest.fills import FillModel
from botfolio.backtest.schemas import BacktestRequest
from botfolio.backtest.service import run_with_model
from botfolio.bots.allocation import AllocationPolicy
from botfolio.errors import NotFoundError, OperationalError, ValidationFailedError
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.market.timeframes import parse_timeframe, validate_symbol
from botfolio.predictions import registry
from botfolio.predictions.artifacts import LoadedModel, load_artifact

router = APIRouter(tags=["backtests"])
OwnBots = Annotated[Principal, Depends(require(Permission.BOTS_OWN))]
WARMUP_CANDLES = 200  # history before `start` the features need (longest window 48, EWMs settle)
MAX_CANDLES_PER_SYMBOL = 50_000  # one request runs in seconds, not minutes


@router.post("/v1/backtests")
async def create_backtest(
    body: BacktestRequest, principal: OwnBots, session: UnitOfWork
) -> dict[str, Any]:
    """Replay the venue's stored candles through the bots' decision code with the family's
    champion model; answers the report (statistics, buy-and-hold, trades, equity curve)."""
    config = _config(body)
    candles = await _candles(session, body)
    model = await _champion(session, body.model_family)
    run = await asyncio.to_thread(run_with_model, candles, model, config)
    if not body.include_curve:
        run.report.pop("equity_curve")
    return run.report


def _config(body: BacktestRequest) -> BacktestConfig:
    try:
        policy = AllocationPolicy(**body.allocation.model_dump())
        return BacktestConfig(
            timeframe=body.timeframe,
            initial_cash=body.initial_cash,
            rebalance_every=body.rebalance_every,
            policy=policy,
            limits=body.limits,
            fills=FillModel(body.fee_rate, body.slippage_bps),
            start=body.start,
            end=body.end,
        )
    except ValueError as exc:
        raise ValidationFailedError(str(exc)) from exc


async def _candles(session: AsyncSession, body: BacktestRequest) -> dict[str, pd.DataFrame]:
    bar = parse_timeframe(body.timeframe)
    since = body.start - WARMUP_CANDLES * bar if body.start else None
    until = body.end + bar if body.end else None
    frames = {}
    for symbol in dict.fromkeys(validate_symbol(s) for s in body.symbols):
        frame = await read_candles(
            session, SeriesKey(body.venue, symbol, body.timeframe), since, until
        )
        if frame.empty:
            raise NotFoundError(f"no {body.timeframe} candles stored for {symbol} on {body.venue}")
        if len(frame) > MAX_CANDLES_PER_SYMBOL:
            raise ValidationFailedError(
                f"{len(frame)} candles of {symbol} in that period; at most "
                f"{MAX_CANDLES_PER_SYMBOL} per symbol: narrow it with start and end"
            )
        frames[symbol] = frame
    return frames


async def _champion(session: AsyncSession, family: str) -> LoadedModel:
    champion = (await registry.serving_snapshot(session, family)).champion
    if champion is None:
        raise NotFoundError(f"model family {family!r} has no champion to backtest with")
    model = await asyncio.to_thread(load_artifact, Path(champion.artifact_path))
    if model.metadata.model_sha256 != champion.artifact_sha256:
        raise OperationalError(f"the artifact of model {champion.id} is not the registered one")
    return model
