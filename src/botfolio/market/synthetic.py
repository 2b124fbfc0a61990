"""A seedable synthetic market: correlated assets, volatility clusters and regime changes.

Per bar: a Markov chain picks the market regime (calm, trending, volatile); correlated standard
normal shocks (Cholesky factor of the correlation matrix) drive a GARCH(1,1) variance per asset;
the log return is the regime's drift plus the regime-scaled shock. Candles are then quantised to
Decimal so that low <= open, close <= high and volume > 0 always hold exactly.

The same `SyntheticMarket` serves whole DataFrames (`generate_frames`) and an incremental stream
(`next_candles`, `candles_until`) for the exchange simulator; both give identical candles per seed.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

import numpy as np
import pandas as pd

from botfolio.clock import ensure_utc
from botfolio.errors import ValidationFailedError
from botfolio.market.candles import Candle, candles_to_frame
from botfolio.market.timeframes import floor_to_timeframe, parse_timeframe, validate_symbol


class Regime(StrEnum):
    CALM = "calm"
    TRENDING = "trending"
    VOLATILE = "volatile"


REGIME_ORDER: tuple[Regime, ...] = (Regime.CALM, Regime.TRENDING, Regime.VOLATILE)


@dataclass(frozen=True)
class RegimeParameters:
    """Volatility multiplier, and the size of the per-bar drift (its sign is drawn per asset)."""

    volatility_scale: float
    trend_per_bar: float = 0.0


def _default_regimes() -> dict[Regime, RegimeParameters]:
    return {
        Regime.CALM: RegimeParameters(volatility_scale=0.6),
        Regime.TRENDING: RegimeParameters(volatility_scale=1.0, trend_per_bar=0.0004),
        Regime.VOLATILE: RegimeParameters(volatility_scale=2.5),
    }


# Rows: from calm, trending, volatile; regimes last a few hundred bars on average.
DEFAULT_TRANSITIONS: tuple[tuple[float, ...], ...] = (
    (0.995, 0.003, 0.002),
    (0.004, 0.994, 0.002),
    (0.006, 0.004, 0.990),
)


@dataclass(frozen=True)
class SyntheticMarketConfig:
    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    timeframe: str = "5m"
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    initial_prices: tuple[Decimal, ...] | None = None
    correlation: tuple[tuple[float, ...], ...] | None = None
    default_correlation: float = 0.6
    base_volatility: float = 0.002
    garch_alpha: float = 0.08
    garch_beta: float = 0.90
    regimes: dict[Regime, RegimeParameters] = field(default_factory=_default_regimes)
    transitions: tuple[tuple[float, ...], ...] = DEFAULT_TRANSITIONS
    base_volume: float = 1000.0
    price_decimals: int = 8
    volume_decimals: int = 6

    def __post_init__(self) -> None:
        _check_config(self)

    def correlation_matrix(self) -> np.ndarray:
        n = len(self.symbols)
        if self.correlation is not None:
            return np.array(self.correlation, dtype=float)
        matrix = np.full((n, n), self.default_correlation)
        np.fill_diagonal(matrix, 1.0)
        return matrix

    def prices(self) -> tuple[Decimal, ...]:
        return self.initial_prices or tuple(Decimal(100) for _ in self.symbols)


def _check_config(config: SyntheticMarketConfig) -> None:
    if not config.symbols or len(set(config.symbols)) != len(config.symbols):
        raise ValidationFailedError("a synthetic market needs distinct symbols")
    for symbol in config.symbols:
        validate_symbol(symbol)
    parse_timeframe(config.timeframe)
    ensure_utc(config.start)
    if config.initial_prices is not None and (
        len(config.initial_prices) != len(config.symbols) or min(config.initial_prices) <= 0
    ):
        raise ValidationFailedError("initial_prices needs one positive price per symbol")
    if not (config.garch_alpha >= 0 and config.garch_beta >= 0) or (
        config.garch_alpha + config.garch_beta >= 1
    ):
        raise ValidationFailedError("GARCH needs alpha, beta >= 0 and alpha + beta < 1")
    _check_correlation(config.correlation_matrix(), len(config.symbols))
    _check_transitions(np.array(config.transitions, dtype=float))
    if set(config.regimes) != set(REGIME_ORDER):
        raise ValidationFailedError("regimes needs parameters for calm, trending and volatile")


def _check_correlation(matrix: np.ndarray, n: int) -> None:
    if matrix.shape != (n, n) or not np.allclose(matrix, matrix.T):
        raise ValidationFailedError(f"the correlation matrix must be symmetric {n}x{n}")
    if not np.allclose(np.diag(matrix), 1.0):
        raise ValidationFailedError("the correlation matrix needs ones on its diagonal")
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ValidationFailedError("the correlation matrix is not positive definite") from None


def _check_transitions(matrix: np.ndarray) -> None:
    if matrix.shape != (3, 3) or (matrix < 0).any() or not np.allclose(matrix.sum(axis=1), 1):
        raise ValidationFailedError("transitions must be a 3x3 matrix whose rows sum to 1")


class SyntheticMarket:
    """The generator. One instance is one reproducible path: same config and seed, same candles."""

    def __init__(self, config: SyntheticMarketConfig | None = None, *, seed: int = 0) -> None:
        self.config = config or SyntheticMarketConfig()
        self._rng = np.random.default_rng(seed)
        self._step = parse_timeframe(self.config.timeframe)
        self._cholesky = np.linalg.cholesky(self.config.correlation_matrix())
        self._transitions = np.cumsum(np.array(self.config.transitions, dtype=float), axis=1)
        self._scale = Decimal(1).scaleb(-self.config.price_decimals)
        self._volume_scale = Decimal(1).scaleb(-self.config.volume_decimals)
        n = len(self.config.symbols)
        self._base_variance = self.config.base_volatility**2
        self._variance = np.full(n, self._base_variance)
        self._shock = np.zeros(n)
        self._close = np.array([float(p) for p in self.config.prices()])
        self._trend_sign = np.ones(n)
        self._regime = Regime.CALM
        self._last_bar: dict[str, Candle] | None = None
        self._next_open = floor_to_timeframe(ensure_utc(self.config.start), self.config.timeframe)

    @property
    def symbols(self) -> tuple[str, ...]:
        return self.config.symbols

    @property
    def regime(self) -> Regime:
        """The regime of the last generated bar."""
        return self._regime

    @property
    def next_open_time(self) -> datetime:
        return self._next_open

    @property
    def last_bar(self) -> dict[str, Candle] | None:
        """The bar served last (its closes are the current prices), or None before the first."""
        return self._last_bar

    def next_candles(self) -> dict[str, Candle]:
        """The next bar of every symbol (they share one open time), advancing the market."""
        self._advance_regime()
        returns, bar_volatility, shocks = self._draw_returns()
        opens = self._close
        closes = opens * np.exp(returns)
        wicks = np.abs(self._rng.standard_normal((2, len(opens)))) * bar_volatility * 0.5
        highs = np.maximum(opens, closes) * np.exp(wicks[0])
        lows = np.minimum(opens, closes) * np.exp(-wicks[1])
        activity = np.exp(0.4 * self._rng.standard_normal(len(opens))) * (1 + np.abs(shocks))
        volumes = self.config.base_volume * activity
        candles = {
            symbol: self._candle(opens[i], highs[i], lows[i], closes[i], volumes[i])
            for i, symbol in enumerate(self.config.symbols)
        }
        self._close = closes
        self._next_open += self._step
        self._last_bar = candles
        return candles

    def candles_until(self, moment: datetime) -> list[dict[str, Candle]]:
        """Every bar that has closed by `moment` and was not served yet (for a clock-driven feed)."""
        moment = ensure_utc(moment)
        bars = []
        while self._next_open + self._step <= moment:
            bars.append(self.next_candles())
        return bars

    def _advance_regime(self) -> None:
        row = self._transitions[REGIME_ORDER.index(self._regime)]
        chosen = REGIME_ORDER[int(np.searchsorted(row, self._rng.random(), side="right"))]
        if chosen is Regime.TRENDING and self._regime is not Regime.TRENDING:
            self._trend_sign = self._rng.choice(np.array([-1.0, 1.0]), size=len(self.symbols))
        self._regime = chosen

    def _draw_returns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shocks = self._cholesky @ self._rng.standard_normal(len(self.symbols))
        alpha, beta = self.config.garch_alpha, self.config.garch_beta
        omega = self._base_variance * (1 - alpha - beta)
        self._variance = omega + alpha * self._shock**2 + beta * self._variance
        self._shock = np.sqrt(self._variance) * shocks
        parameters = self.config.regimes[self._regime]
        drift = self._trend_sign * parameters.trend_per_bar
        bar_volatility = np.sqrt(self._variance) * parameters.volatility_scale
        return drift + parameters.volatility_scale * self._shock, bar_volatility, shocks

    def _candle(self, open_: float, high: float, low: float, close: float, volume: float) -> Candle:
        unit = self._scale
        quantised_low = max(Decimal(low).quantize(unit, ROUND_FLOOR), unit)
        return Candle(
            open_time=self._next_open,
            open=Decimal(open_).quantize(unit, ROUND_HALF_EVEN),
            high=Decimal(high).quantize(unit, ROUND_CEILING),
            low=quantised_low,
            close=Decimal(close).quantize(unit, ROUND_HALF_EVEN),
            volume=max(
                Decimal(volume).quantize(self._volume_scale, ROUND_CEILING), self._volume_scale
            ),
        )


class SyntheticCandleFeed:
    """Per-symbol candle histories over one shared `SyntheticMarket`, advanced by a clock.

    Each `source(symbol)` has the shape of the exchange simulator's `CandleSource`
    (`interval`, `closed_candles(until)`): asking any symbol for candles up to `until` advances
    the whole market, so the symbols stay correlated and in step. Start the market `history`
    candles before the clock to give the simulator a past to serve.
    """

    def __init__(self, market: SyntheticMarket) -> None:
        self.market = market
        self._history: dict[str, list[Candle]] = {symbol: [] for symbol in market.symbols}

    @property
    def interval(self) -> timedelta:
        return parse_timeframe(self.market.config.timeframe)

    def advance(self, until: datetime) -> None:
        for bar in self.market.candles_until(until):
            for symbol, candle in bar.items():
                self._history[symbol].append(candle)

    def closed_candles(self, symbol: str, until: datetime) -> Sequence[Candle]:
        """Every candle of `symbol` closed at or before `until`, oldest first."""
        self.advance(until)
        history = self._history[symbol]
        last_open = ensure_utc(until) - self.interval
        return history[: bisect.bisect_right(history, last_open, key=lambda c: c.open_time)]

    def source(self, symbol: str) -> SyntheticSymbolSource:
        if symbol not in self._history:
            raise ValidationFailedError(f"the synthetic market has no symbol {symbol}")
        return SyntheticSymbolSource(self, symbol)


@dataclass(frozen=True)
class SyntheticSymbolSource:
    """One symbol of a `SyntheticCandleFeed`, shaped like the simulator's `CandleSource`."""

    feed: SyntheticCandleFeed
    symbol: str

    @property
    def interval(self) -> timedelta:
        return self.feed.interval

    def closed_candles(self, until: datetime) -> Sequence[Candle]:
        return self.feed.closed_candles(self.symbol, until)


def generate_frames(
    config: SyntheticMarketConfig | None = None, *, seed: int = 0, bars: int = 1000
) -> dict[str, pd.DataFrame]:
    """`bars` candles per symbol as Decimal candle frames, exactly what the stream would serve."""
    market = SyntheticMarket(config, seed=seed)
    history: dict[str, list[Candle]] = {symbol: [] for symbol in market.symbols}
    for _ in range(bars):
        for symbol, candle in market.next_candles().items():
            history[symbol].append(candle)
    return {symbol: candles_to_frame(candles) for symbol, candles in history.items()}
