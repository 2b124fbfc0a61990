"""Data-quality checks on candle frames: gaps, duplicates, bad prices, spikes and a stale feed.

`assess` is pure (a frame and the clock's `now` in, a report out) so bots can call it on the
candles they are about to trade on; `check_series` runs it on stored candles and records what it
finds. All checks are vectorised over the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import ensure_utc
from botfolio.market.anomalies import Anomaly, AnomalyKind
from botfolio.market.candles import OHLCV_COLUMNS
from botfolio.market.repository import SeriesKey, read_candles, record_anomalies
from botfolio.market.timeframes import pandas_frequency, parse_timeframe

PRICE_COLUMNS = ["open", "high", "low", "close"]


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds. A spike is a log return more than `spike_sigmas` rolling deviations from the
    rolling mean of the `spike_window` returns before it (the candle itself is not in its own
    baseline); the feed is stale when the last candle closed more than `stale_after_bars` ago."""

    spike_sigmas: float = 8.0
    spike_window: int = 288
    spike_min_periods: int = 48
    stale_after_bars: int = 3


@dataclass(frozen=True)
class QualityReport:
    ok: bool
    anomalies: list[Anomaly]


def assess(
    candles: pd.DataFrame,
    timeframe: str,
    now: datetime,
    config: QualityConfig | None = None,
) -> QualityReport:
    """Every anomaly in the frame (index `open_time`, OHLCV columns); ok only when none is found."""
    config = config or QualityConfig()
    now = ensure_utc(now)
    step = parse_timeframe(timeframe)
    if candles.empty:
        reason = "no candles at all: nothing to trade on"
        return QualityReport(ok=False, anomalies=[Anomaly(AnomalyKind.NO_DATA, now, reason)])
    frame = candles.sort_index(kind="stable")
    anomalies = _duplicates(frame)
    frame = frame[~frame.index.duplicated(keep="first")]
    anomalies += _bad_prices(frame)
    anomalies += _inconsistent(frame)
    anomalies += _gaps(frame.index, step)
    anomalies += _spikes(frame, timeframe, config)
    anomalies += _stale(frame.index, step, now, config)
    return QualityReport(ok=not anomalies, anomalies=anomalies)


def _at(moment: pd.Timestamp) -> datetime:
    return ensure_utc(moment.to_pydatetime())


def _duplicates(frame: pd.DataFrame) -> list[Anomaly]:
    counts = frame.index.value_counts()
    repeated = counts[counts > 1].sort_index()
    return [
        Anomaly(
            AnomalyKind.DUPLICATE_CANDLE,
            _at(moment),
            f"{count} candles share the open time {moment.isoformat()}",
            {"count": int(count)},
        )
        for moment, count in repeated.items()
    ]


def _bad_prices(frame: pd.DataFrame) -> list[Anomaly]:
    non_positive = (frame[PRICE_COLUMNS] <= 0).any(axis=1)
    negative_volume = frame["volume"] < 0
    found = [
        Anomaly(
            AnomalyKind.NON_POSITIVE_PRICE,
            _at(moment),
            "a price is zero or negative",
            _row_details(frame, moment),
        )
        for moment in frame.index[non_positive.to_numpy(dtype=bool)]
    ]
    found += [
        Anomaly(
            AnomalyKind.NEGATIVE_VOLUME,
            _at(moment),
            "the volume is negative",
            _row_details(frame, moment),
        )
        for moment in frame.index[negative_volume.to_numpy(dtype=bool)]
    ]
    return found


def _inconsistent(frame: pd.DataFrame) -> list[Anomaly]:
    low, high = frame["low"], frame["high"]
    outside = (
        (high < low)
        | (frame["open"] < low)
        | (frame["open"] > high)
        | (frame["close"] < low)
        | (frame["close"] > high)
    )
    return [
        Anomaly(
            AnomalyKind.INCONSISTENT_OHLC,
            _at(moment),
            "high is below low, or open/close lies outside [low, high]",
            _row_details(frame, moment),
        )
        for moment in frame.index[outside.to_numpy(dtype=bool)]
    ]


def _row_details(frame: pd.DataFrame, moment: pd.Timestamp) -> dict[str, object]:
    row = frame.loc[moment]
    return {column: str(row[column]) for column in OHLCV_COLUMNS}


def _gaps(index: pd.DatetimeIndex, step: timedelta) -> list[Anomaly]:
    if len(index) < 2:
        return []
    previous = index[:-1]
    spacing = index[1:] - previous
    is_gap = np.asarray(spacing > step)
    found = []
    for before, width in zip(previous[is_gap], spacing[is_gap], strict=True):
        missing = int(width // step) - 1 if width % step == timedelta(0) else int(width // step)
        first_missing = before + step
        found.append(
            Anomaly(
                AnomalyKind.MISSING_CANDLES,
                _at(first_missing),
                f"{missing} candle(s) missing after {before.isoformat()}",
                {"missing": missing, "resumes_at": (before + width).isoformat()},
            )
        )
    return found


def _spikes(frame: pd.DataFrame, timeframe: str, config: QualityConfig) -> list[Anomaly]:
    close = pd.to_numeric(frame["close"].astype("float64"), errors="coerce")
    close = close.where(close > 0)
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=pandas_frequency(timeframe))
    returns = np.log(close.reindex(grid)).diff()
    history = returns.shift(1).rolling(config.spike_window, min_periods=config.spike_min_periods)
    spread = history.std()
    deviation = (returns - history.mean()) / spread.where(spread > 0)  # a flat past has no sigma
    flagged = deviation[deviation.abs() > config.spike_sigmas]
    return [
        Anomaly(
            AnomalyKind.PRICE_SPIKE,
            _at(moment),
            f"log return {returns[moment]:+.4f} is {score:+.1f} sigma from its recent behaviour",
            {"log_return": float(returns[moment]), "sigmas": float(score)},
        )
        for moment, score in flagged.items()
    ]


def _stale(
    index: pd.DatetimeIndex, step: timedelta, now: datetime, config: QualityConfig
) -> list[Anomaly]:
    last_open = _at(index[-1])
    age = now - (last_open + step)
    if age <= step * config.stale_after_bars:
        return []
    bars = age / step
    return [
        Anomaly(
            AnomalyKind.STALE_FEED,
            last_open,
            f"last candle closed {bars:.0f} candles ({age.total_seconds() / 3600:.1f} h) ago; "
            f"at most {config.stale_after_bars} allowed",
            {"age_seconds": age.total_seconds(), "checked_at": now.isoformat()},
        )
    ]


async def check_series(
    session: AsyncSession,
    series: SeriesKey,
    now: datetime,
    config: QualityConfig | None = None,
) -> QualityReport:
    """Assess the stored candles of a series and record each anomaly (re-checks update in place)."""
    candles = await read_candles(session, series)
    report = assess(candles, series.timeframe, now, config)
    stored = [a for a in report.anomalies if a.kind is not AnomalyKind.NO_DATA]
    await record_anomalies(session, series, stored, detected_at=now)
    return report
