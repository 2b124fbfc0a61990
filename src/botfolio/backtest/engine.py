"""The backtest: replay candles through `step.decide` (the live tick's code) and the fill model.

Features are computed for every candle up front, in batch (a feature at t uses only candles up
to t, so batching leaks nothing), and the model scores, in one batch, the rows of the candles a
decision is taken on; the walk through time then only decides at rebalance points and fills each decision at the next candle's open. Between fills the holdings
are constant, so the equity curve is valued in one vectorised pass at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd

from botfolio.backtest.fills import Fill, FillModel, fill_order
from botfolio.backtest.metrics import Performance, performance
from botfolio.backtest.step import Account, decide, market_for
from botfolio.bots.allocation import AllocationPolicy, OrderDraft
from botfolio.errors import ValidationFailedError
from botfolio.exchanges.port import Market, OrderSide
from botfolio.market.candles import INDEX_NAME
from botfolio.market.timeframes import parse_timeframe
from botfolio.portfolio.ledger import Ledger, split_symbol
from botfolio.predictions.features import FEATURE_NAMES, panel_features
from botfolio.predictions.panel import MarketPanel, build_panel
from botfolio.risk.limits import RiskLimits
from botfolio.risk.state import TradingState

ProgressCallback = Callable[[int, int], None]


class Scorer(Protocol):
    """A model that scores feature rows (a LightGBM Booster is one)."""

    def predict(self, data: np.ndarray) -> Any: ...


@dataclass(frozen=True)
class BacktestConfig:
    timeframe: str = "5m"
    initial_cash: Decimal = Decimal(1)
    rebalance_every: int = 12
    policy: AllocationPolicy = field(default_factory=AllocationPolicy)
    limits: RiskLimits = field(default_factory=RiskLimits)
    fills: FillModel = field(default_factory=FillModel)
    markets: Mapping[str, Market] = field(default_factory=dict)  # missing: no venue minimums
    start: datetime | None = None
    end: datetime | None = None

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
    denials: int
    denied_by_check: dict[str, int]
    halted_at: datetime | None
    halt_reason: str | None
    realised_pnl: Decimal
    fees: Decimal
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


def score_panel(
    panel: MarketPanel, scorer: Scorer, at: pd.DatetimeIndex | None = None
) -> pd.DataFrame:
    """Model scores as a wide time x symbol frame, for the times `at` (default: every candle).

    Features always run over the whole panel (their windows need the history); only the rows
    that a decision reads are sent to the model, which gives the very same scores for less work.
    """
    features = panel_features(panel)
    if at is not None:
        features = features[features.index.get_level_values(INDEX_NAME).isin(at)]
    predicted = np.asarray(scorer.predict(features[list(FEATURE_NAMES)].to_numpy()), np.float64)
    long = pd.Series(predicted, index=features.index)
    wide = long.unstack()
    return wide.reindex(index=panel.close.index, columns=panel.close.columns)


def _market(panel: MarketPanel, scorer: Scorer, config: BacktestConfig) -> _Market:
    """The window's arrays; the model scores only the candles a decision is taken on."""
    times = panel.close.index
    keep = np.ones(len(times), dtype=bool)
    if config.start is not None:
        keep &= times >= pd.Timestamp(config.start)
    if config.end is not None:
        keep &= times <= pd.Timestamp(config.end)
    if keep.sum() < 2:
        raise ValidationFailedError("the chosen period holds fewer than two candles")
    scores = score_panel(panel, scorer, at=times[keep][_decision_rows(int(keep.sum()), config)])
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
    market = _market(panel, scorer, config)
    rows = _decision_rows(len(market.times), config)
    replay = _Replay(market, config)
    for done, row in enumerate(rows, start=1):
        replay.rebalance(row)
        if on_progress is not None:
            on_progress(done, len(rows))
    equity = _equity_curve(market, replay.snapshots, float(config.initial_cash))
    benchmark, bought = _buy_and_hold(market, config)
    return BacktestResult(
        config=config,
        symbols=market.symbols,
        times=market.times,
        equity=equity,
        benchmark_equity=benchmark,
        fills=replay.fills,
        denials=replay.denials,
        denied_by_check=dict(replay.denied_by_check),
        halted_at=replay.halted_at,
        halt_reason=replay.halt_reason,
        realised_pnl=replay.ledger.realised_pnl,
        fees=replay.ledger.fees_in_quote,
        strategy=_performance(market, equity, config, replay.fills),
        buy_and_hold=_performance(market, benchmark, config, bought),
        candles=market.observed,
        decisions=len(rows),
    )


def _decision_rows(count: int, config: BacktestConfig) -> list[int]:
    """Every `rebalance_every`-th candle of the window, except the last (nothing to fill on)."""
    return list(range(0, count - 1, config.rebalance_every))


class _Replay:
    """The simulated bot: its ledger, trading state and loss baselines, moved candle by candle."""

    def __init__(self, market: _Market, config: BacktestConfig) -> None:
        self.market = market
        self.config = config
        self.markets = {s: config.markets.get(s) or market_for(s) for s in market.symbols}
        self.quote = _quote_of(market.symbols)
        self.ledger = Ledger(cash=config.initial_cash)
        self.state = TradingState.ACTIVE
        self.peak: Decimal | None = None
        self.day: date | None = None
        self.day_start: Decimal | None = None
        self.fills: list[Fill] = []
        self.denials = 0
        self.denied_by_check: Counter[str] = Counter()
        self.halted_at: datetime | None = None
        self.halt_reason: str | None = None
        self.snapshots: dict[int, tuple[float, list[float]]] = {}

    def rebalance(self, row: int) -> None:
        """Decide on candle `row`'s close (the live tick's code), fill at `row + 1`'s open."""
        prices = self.market.prices(row)
        self._roll_baselines(row, prices)
        account = Account(
            cash=self.ledger.cash,
            holdings=self.ledger.holdings(),
            quote=self.quote,
            state=self.state,
            day_start_equity=self.day_start,
            peak_equity=self.peak,
        )
        decision = decide(
            self.market.score_map(row),
            account,
            prices,
            self.markets,
            self.config.policy,
            self.config.limits,
        )
        if decision.breach is not None and self.state is not TradingState.HALTED:
            self._halt(row, decision.breach.reason)
        self.denials += len(decision.denied)
        self.denied_by_check.update(risk.check for _, risk in decision.denied)
        self._fill_all(decision.allowed, row)
        self.snapshots[row + 1] = _snapshot(self.ledger, self.market.symbols)

    def _roll_baselines(self, row: int, prices: Mapping[str, Decimal]) -> None:
        """Peak and start-of-day equity, as the live bot's equity snapshots would give them."""
        equity = self.ledger.cash + sum(
            (q * prices[s] for s, q in self.ledger.holdings().items() if s in prices), Decimal(0)
        )
        self.peak = equity if self.peak is None else max(self.peak, equity)
        today = self.market.times[row].date()
        if today != self.day:
            self.day, self.day_start = today, equity

    def _halt(self, row: int, reason: str) -> None:
        """A loss-limit breach halts the bot; only a manual reset resumes it, so here: never."""
        self.state = TradingState.HALTED
        self.halted_at = self.market.times[row].to_pydatetime()
        self.halt_reason = reason

    def _fill_all(self, drafts: list[OrderDraft], row: int) -> None:
        opens = self.market.next_opens(row)
        filled_at = self.market.times[row + 1].to_pydatetime()
        for draft in drafts:
            if draft.symbol not in opens:
                continue  # no candle to trade on: dropped, never filled at a stale price
            fill = fill_order(
                draft,
                next_open=opens[draft.symbol],
                filled_at=filled_at,
                cash=self.ledger.cash,
                held=self.ledger.holdings().get(draft.symbol, Decimal(0)),
                amount_step=self.markets[draft.symbol].amount_step,
                model=self.config.fills,
            )
            if fill is not None:
                _book(self.ledger, fill, self.quote)
                self.fills.append(fill)


def _book(ledger: Ledger, fill: Fill, quote: str) -> None:
    """INTEGRATION: the live portfolio's ledger books every simulated fill."""
    ledger.apply_fill(
        fill.symbol, fill.side, price=fill.price, amount=fill.amount, fee=fill.fee, fee_asset=quote
    )


def _quote_of(symbols: list[str]) -> str:
    quotes = {split_symbol(s)[1] for s in symbols}
    if len(quotes) != 1:
        raise ValidationFailedError(
            f"a backtest trades one quote currency; these symbols have {sorted(quotes)}"
        )
    return quotes.pop()


def _snapshot(ledger: Ledger, symbols: list[str]) -> tuple[float, list[float]]:
    holdings = ledger.holdings()
    return float(ledger.cash), [float(holdings.get(s, 0)) for s in symbols]


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
    ledger = Ledger(cash=config.initial_cash)
    quote = _quote_of(market.symbols)
    filled_at = market.times[1].to_pydatetime()
    fills = []
    for symbol, price in opens.items():
        draft = OrderDraft(symbol, OrderSide.BUY, share / price, price)
        fill = fill_order(
            draft,
            next_open=price,
            filled_at=filled_at,
            cash=min(ledger.cash, share),
            held=Decimal(0),
            amount_step=Decimal(0),
            model=config.fills,
        )
        if fill is not None:
            _book(ledger, fill, quote)
            fills.append(fill)
    snapshot = {1: _snapshot(ledger, market.symbols)}
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
