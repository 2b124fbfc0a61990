"""Live scores: stored predictions against the realised return, and the under-performance rule.

A prediction made at `as_of` for `horizon` candles is scored once the candle `horizon` bars later
is stored: realised = ln(close[as_of + horizon] / close[as_of]), from the exact Decimal closes.
A prediction whose candles are missing while later ones exist is marked scored without a value,
so it is not looked at again.

Under-performance: the serving version's mean absolute error over its last `live_window` scored
predictions, against the same figure for the version it would fall back to (the champion for a
canary, the previous champion for a champion). Worse by more than `live_tolerance` -> rollback.
The previous champion's scores come from its own serving period, so a regime change between the
two periods can move both figures; the tolerance and the window absorb part of that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor
from botfolio.clock import Clock
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.market.timeframes import parse_timeframe
from botfolio.predictions import registry
from botfolio.predictions.models import ModelVersion, StoredPrediction
from botfolio.predictions.registry import RollbackOutcome
from botfolio.predictions.serving_config import ServingPolicy

SCORE_BATCH = 5000


async def score_due_predictions(
    session: AsyncSession, clock: Clock, *, limit: int = SCORE_BATCH
) -> int:
    """Score up to `limit` of the oldest unscored predictions; returns how many were settled."""
    stmt = (
        select(StoredPrediction)
        .where(StoredPrediction.scored_at.is_(None))
        .order_by(StoredPrediction.as_of, StoredPrediction.id)
        .limit(limit)
    )
    pending = (await session.scalars(stmt)).all()
    groups: dict[SeriesKey, list[StoredPrediction]] = defaultdict(list)
    for row in pending:
        groups[SeriesKey(row.venue, row.symbol, row.timeframe)].append(row)
    now = clock.now()
    settled = 0
    for series, rows in groups.items():
        settled += await _score_series(session, series, rows, now)
    return settled


async def _score_series(
    session: AsyncSession, series: SeriesKey, rows: Sequence[StoredPrediction], now: datetime
) -> int:
    step = parse_timeframe(series.timeframe)
    start = min(r.as_of for r in rows)
    end = max(r.as_of + step * r.horizon for r in rows) + step
    frame = await read_candles(session, series, start=start, end=end)
    closes: dict[datetime, Decimal] = {
        moment.to_pydatetime(): Decimal(close) for moment, close in frame["close"].items()
    }
    newest = max(closes) if closes else None
    settled = 0
    for row in rows:
        target = row.as_of + step * row.horizon
        if newest is None or target > newest:
            continue  # not due yet: the outcome candle is not stored
        first, last = closes.get(row.as_of), closes.get(target)
        if first is not None and last is not None and first > 0 and last > 0:
            row.realised = float((last / first).ln())
        row.scored_at = now
        settled += 1
    return settled


@dataclass(frozen=True)
class LiveError:
    version_id: str
    scored: int
    mean_abs_error: float | None


async def live_error(session: AsyncSession, version_id: str, window: int) -> LiveError:
    """Mean absolute error of the version's last `window` scored predictions."""
    recent = (
        select(StoredPrediction.value, StoredPrediction.realised)
        .where(
            StoredPrediction.model_version_id == version_id,
            StoredPrediction.realised.is_not(None),
        )
        .order_by(StoredPrediction.as_of.desc(), StoredPrediction.id.desc())
        .limit(window)
        .subquery()
    )
    stmt = select(func.count(), func.avg(func.abs(recent.c.value - recent.c.realised)))
    count, mean = (await session.execute(stmt)).one()
    return LiveError(version_id, int(count), float(mean) if mean is not None else None)


async def check_live_performance(
    session: AsyncSession, clock: Clock, family: str, policy: ServingPolicy
) -> list[RollbackOutcome]:
    """Roll back a canary worse than the champion, and a champion worse than its predecessor."""
    snapshot = await registry.serving_snapshot(session, family)
    outcomes = []
    pairs: list[tuple[ModelVersion | None, ModelVersion | None]] = [
        (snapshot.canary, snapshot.champion),
        (snapshot.champion, snapshot.fallback),
    ]
    for serving, baseline in pairs:
        if serving is None or baseline is None:
            continue
        outcome = await _compare(session, clock, family, serving, baseline, policy)
        if outcome is not None:
            outcomes.append(outcome)
            break  # one rollback per check: the next check sees the new serving set
    return outcomes


async def _compare(
    session: AsyncSession,
    clock: Clock,
    family: str,
    serving: ModelVersion,
    baseline: ModelVersion,
    policy: ServingPolicy,
) -> RollbackOutcome | None:
    mine = await live_error(session, serving.id, policy.live_window)
    theirs = await live_error(session, baseline.id, policy.live_window)
    if mine.scored < policy.live_window or theirs.scored < policy.live_window:
        return None
    if mine.mean_abs_error is None or theirs.mean_abs_error is None:
        return None
    if mine.mean_abs_error <= theirs.mean_abs_error * (1 + policy.live_tolerance):
        return None
    reason = (
        f"live mean absolute error {mine.mean_abs_error:.6f} over the last {mine.scored} scored "
        f"predictions is worse than {baseline.id}'s {theirs.mean_abs_error:.6f} by more than "
        f"{policy.live_tolerance:.0%}"
    )
    return await registry.rollback(
        session,
        clock,
        family=family,
        actor=Actor.system(),
        reason=reason,
        trigger="live_underperformance",
        version_id=serving.id,
        details={"serving_mae": mine.mean_abs_error, "baseline_mae": theirs.mean_abs_error},
    )
