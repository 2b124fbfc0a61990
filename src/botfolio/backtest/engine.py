"""The backtest: replay candles through `step.decide` (the live tick's code) and the fill model.

Features and model scores are computed for every candle up front, in batch (a feature at t uses
only candles up to t, so batching leaks nothing); the walk through time then only decides at
rebalance points and fills each decision at the next candle's open. Between fills the holdings
are constant, so the equity curve is valued in one vectorised pass at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from botfolio.backtest.book import Book
from botfolio.backtest.fills import Fill, FillModel, fill_order
from botfolio.backtest.metrics import Performance, performance
from botfolio.backtest.step import MarketRules, PreTradeCheck, allow_all, decide
from botfolio.bots.allocation import AllocationPolicy, OrderDraft
from botfolio.errors import ValidationFailedError
from botfolio.exchanges.port import OrderSide
from botfolio.market.timeframes import parse_timeframe
from botfolio.predictions.features import FEATURE_NAMES, panel_features
from botfolio.predictions.panel import MarketPanel, build_panel

ProgressCallback = Callable[[int, int], None]


class Scorer(Protocol):
    """A model that scores feature rows (a LightGBM Booster is one)."""

    def predict(self, data: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class BacktestConfig:
    timeframe: str = "5m"
    initial_cash: Decimal = Decimal(1)
    rebalance_every: int = 12
    policy: AllocationPolicy = field(default_factory=AllocationPolicy)
    fills: FillModel = field(default_factory=FillModel)
    markets: Mapping[str, MarketRules] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    check: PreTradeCheck = allow_all

    def __post_init__(self) -> None:
        if self.rebalance_every < 1:
            raise ValidationFailedError("rebalance_every must be at least 1 candle")
        if self.initial_cash <= 0:
            raise ValidationFailedError("initial_cash must be positive")


@dataclass(frozen=True)
class BacktestResult:
    config: BacktestConfig
    symbols: list[str]
    times: pd.DatetimeIndex
    equity: np.ndarray
    benchmark_equity: np.ndarray
    fills: list[Fill]
    strategy: Performance
    buy_and_hold: Performance
    candles: int
    decisions: int


@dataclass
class _Market:
    """The replay's view of the panel: numpy arrays over the window, one column per symbol."""

    symbols: list[str]
    times: pd.DatetimeIndex
    opens: np.ndarray
    closes: np.ndarray  # forward-filled: the last known price values a holding
    scores: np.ndarray
    observed: int  # real candles in the window (gap fills not counted)

    def prices(self, row: int) -> dict[str, Decimal]:
        return _decimals(self.symbols, self.closes[row])

    def next_opens(self, row: int) -> dict[str, Decimal]:
        return _decimals(self.symbols, self.opens[row + 1])

    def score_map(self, row: int) -> dict[str, float]:
        return dict(zip(self.symbols, self.scores[row].tolist(), strict=True))


def _decimals(symbols: list[str], values: np.ndarray) -> dict[str, Decimal]:
    """float64 -> Decimal through the shortest repr, which gives back the file's decimal text."""
    return {s: Decimal(repr(v)) for s, v in zip(symbols, values.tolist(), strict=True) if v == v}


def score_panel(panel: MarketPanel, scorer: Scorer) -> pd.DataFrame:
    """Model scores for every (time, symbol) of the panel, as a wide time x symbol frame."""
    features = panel_features(panel)
    predicted = scorer.predict(features[list(FEATURE_NAMES)].to_numpy())
    long = pd.Series(predicted, index=features.index)
    wide = long.unstack()
    return wide.reindex(index=panel.close.index, columns=panel.close.columns)


def _market(panel: MarketPanel, scores: pd.DataFrame, config: BacktestConfig) -> _Market:
    times = panel.close.index
    keep = np.ones(len(times), dtype=bool)
    if config.start is not None:
        keep &= times >= pd.Timestamp(config.start)
    if config.end is not None:
        keep &= times <= pd.Timestamp(config.end)
    if keep.sum() < 2:
        raise ValidationFailedError("the chosen period holds fewer than two candles")
    return _Market(
        symbols=panel.symbols,
        times=times[keep],
        opens=panel.open.to_numpy()[keep],
        closes=panel.close.ffill().to_numpy()[keep],
        scores=scores.to_numpy()[keep],
        observed=int(panel.observed.to_numpy()[keep].sum()),
    )


def run_backtest(
    candles: Mapping[str, pd.DataFrame],
    scorer: Scorer,
    config: BacktestConfig,
    *,
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Replay the candles; returns the equity curve, the fills and the statistics."""
    panel = build_panel(candles, config.timeframe)
    market = _market(panel, score_panel(panel, scorer), config)
    rows = list(range(0, len(market.times) - 1, config.rebalance_every))
    book = Book(config.initial_cash)
    fills: list[Fill] = []
    snapshots: dict[int, tuple[float, list[float]]] = {}
    for done, row in enumerate(rows, start=1):
        fills.extend(_rebalance(market, row, book, config))
        snapshots[row + 1] = _snapshot(book, market.symbols)
        if on_progress is not None:
            on_progress(done, len(rows))
    equity = _equity_curve(market, snapshots, float(config.initial_cash))
    benchmark, bought = _buy_and_hold(market, config)
    return BacktestResult(
        config=config,
        symbols=market.symbols,
        times=market.times,
        equity=equity,
        benchmark_equity=benchmark,
        fills=fills,
        strategy=_performance(market, equity, config, fills),
        buy_and_hold=_performance(market, benchmark, config, bought),
        candles=market.observed,
        decisions=len(rows),
    )


def _rebalance(market: _Market, row: int, book: Book, config: BacktestConfig) -> list[Fill]:
    """Decide on candle `row`'s close (the live tick's code), fill at candle `row + 1`'s open."""
    drafts = decide(
        market.score_map(row),
        book.snapshot(),
        market.prices(row),
        config.markets,
        config.policy,
        config.check,
    )
    return _fill_all(drafts, market, row, book, config)


def _fill_all(
    drafts: list[OrderDraft], market: _Market, row: int, book: Book, config: BacktestConfig
) -> list[Fill]:
    opens = market.next_opens(row)
    filled_at = market.times[row + 1].to_pydatetime()
    fills = []
    for draft in drafts:
        if draft.symbol not in opens:
            continue  # no candle to trade on: the order is dropped, not filled at a stale price
        rules = config.markets.get(draft.symbol, MarketRules())
        fill = fill_order(
            draft,
            next_open=opens[draft.symbol],
            filled_at=filled_at,
            cash=book.cash,
            held=book.holdings.get(draft.symbol, Decimal(0)),
            amount_step=rules.amount_step,
            model=config.fills,
        )
        if fill is not None:
            book.apply(fill)
            fills.append(fill)
    return fills


def _snapshot(book: Book, symbols: list[str]) -> tuple[float, list[float]]:
    return float(book.cash), [float(book.holdings.get(s, 0)) for s in symbols]


def _equity_curve(
    market: _Market, snapshots: Mapping[int, tuple[float, list[float]]], initial: float
) -> np.ndarray:
    """cash + holdings x close at every candle close, holdings constant between fills."""
    count, width = market.closes.shape
    cash = np.full(count, np.nan)
    held = np.full((count, width), np.nan)
    cash[0], held[0] = initial, 0.0
    for row, (amount, quantities) in snapshots.items():
        if row < count:
            cash[row], held[row] = amount, quantities
    cash = pd.Series(cash).ffill().to_numpy()
    held = pd.DataFrame(held).ffill().to_numpy()
    value = np.nansum(held * np.nan_to_num(market.closes), axis=1)
    return np.asarray(cash + value, dtype=np.float64)


def _buy_and_hold(market: _Market, config: BacktestConfig) -> tuple[np.ndarray, list[Fill]]:
    """Equal parts of every symbol bought at the second candle's open (same fees), then held."""
    opens = market.next_opens(0)
    share = config.initial_cash / max(len(opens), 1)
    book = Book(config.initial_cash)
    filled_at = market.times[1].to_pydatetime()
    fills = []
    for symbol, price in opens.items():
        draft = OrderDraft(symbol, OrderSide.BUY, share / price, price)
        fill = fill_order(
            draft,
            next_open=price,
            filled_at=filled_at,
            cash=min(book.cash, share),
            held=Decimal(0),
            amount_step=Decimal(0),
            model=config.fills,
        )
        if fill is not None:
            book.apply(fill)
            fills.append(fill)
    snapshot = {1: _snapshot(book, market.symbols)}
    return _equity_curve(market, snapshot, float(config.initial_cash)), fills


def _performance(
    market: _Market, equity: np.ndarray, config: BacktestConfig, fills: list[Fill]
) -> Performance:
    span = (market.times[-1] - market.times[0]).total_seconds()
    return performance(
        equity,
        span_seconds=span,
        bar_seconds=parse_timeframe(config.timeframe).total_seconds(),
        traded_value=float(sum((f.value for f in fills), Decimal(0))),
    )
