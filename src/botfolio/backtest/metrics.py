"""Performance statistics of an equity curve: CAGR, Sharpe, Sortino, max drawdown, turnover.

Statistics, not money: they run on float64 arrays. Sharpe and Sortino are annualised from the
per-candle returns with a zero risk-free rate; CAGR compounds over the curve's calendar span.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclass(frozen=True)
class Performance:
    start_equity: float
    end_equity: float
    total_return: float
    cagr: float
    sharpe: float
    sortino: float
    max_drawdown: float
    turnover: float

    def as_dict(self) -> dict[str, float | None]:
        """Plain numbers for JSON; an undefined ratio (flat curve) is None, never NaN."""
        return {k: _finite_or_none(v) for k, v in asdict(self).items()}


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Fall from the running peak as a share of it (0 at a new high, -0.25 a quarter below)."""
    peaks = np.maximum.accumulate(equity)
    return equity / peaks - 1.0


def cagr(start: float, end: float, seconds: float) -> float:
    if start <= 0 or seconds <= 0:
        return float("nan")
    if end <= 0:
        return -1.0
    return float((end / start) ** (SECONDS_PER_YEAR / seconds) - 1.0)


def annualised_ratios(equity: np.ndarray, bar_seconds: float) -> tuple[float, float]:
    """(Sharpe, Sortino) of the per-bar returns, scaled by sqrt(bars per year)."""
    returns = np.diff(equity) / equity[:-1]
    if returns.size < 2:
        return float("nan"), float("nan")
    scale = math.sqrt(SECONDS_PER_YEAR / bar_seconds)
    mean = float(returns.mean())
    spread = float(returns.std(ddof=1))
    downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    sharpe = mean / spread * scale if spread > 0 else float("nan")
    sortino = mean / downside * scale if downside > 0 else float("nan")
    return sharpe, sortino


def performance(
    equity: np.ndarray, *, span_seconds: float, bar_seconds: float, traded_value: float
) -> Performance:
    """Statistics of one curve; turnover is the traded value over the average equity."""
    if equity.size == 0:
        raise ValueError("an equity curve needs at least one point")
    start, end = float(equity[0]), float(equity[-1])
    sharpe, sortino = annualised_ratios(equity, bar_seconds)
    return Performance(
        start_equity=start,
        end_equity=end,
        total_return=end / start - 1.0,
        cagr=cagr(start, end, span_seconds),
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=float(drawdown(equity).min()),
        turnover=traded_value / float(equity.mean()),
    )
