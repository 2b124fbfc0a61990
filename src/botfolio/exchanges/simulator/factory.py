"""Builds venues (markets, candle sources, rules, accounts) from the simulator configuration."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

from botfolio.exchanges.simulator.candles import CandleSource
from botfolio.exchanges.simulator.clock import SimulatorClock
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig, VenueConfig
from botfolio.exchanges.simulator.csv_source import CsvCandleSource
from botfolio.exchanges.simulator.engine import ExecutionModel, MatchingEngine
from botfolio.exchanges.simulator.random_walk import RandomWalkSource
from botfolio.exchanges.simulator.rules import SymbolRules, default_rules
from botfolio.exchanges.simulator.venue import Market, Venue

_CSV_NAME = re.compile(r"^([A-Z0-9]{2,10})_([A-Z0-9]{2,10})-[0-9a-zA-Z]+\.csv$")
_UPBIT_KRW_TICKS = (
    (Decimal("2000000"), Decimal("1000")),
    (Decimal("1000000"), Decimal("500")),
    (Decimal("500000"), Decimal("100")),
    (Decimal("100000"), Decimal("50")),
    (Decimal("10000"), Decimal("10")),
    (Decimal("1000"), Decimal("1")),
    (Decimal("100"), Decimal("0.1")),
    (Decimal("10"), Decimal("0.01")),
    (Decimal("0"), Decimal("0.001")),
)

RulesFor = Callable[[str, str, Decimal], SymbolRules]


def binance_rules(base: str, quote: str, price: Decimal) -> SymbolRules:
    return default_rules(base + quote, base, quote, price)


def upbit_rules(base: str, quote: str, price: Decimal) -> SymbolRules:
    """Upbit ids are QUOTE-BASE; KRW prices tick by price level (fixed at the start price)."""
    tick = next(t for floor, t in _UPBIT_KRW_TICKS if price >= floor)
    step = Decimal("0.00000001")
    return SymbolRules(
        symbol=f"{quote}-{base}",
        base=base,
        quote=quote,
        tick_size=tick if quote == "KRW" else Decimal("0.00000001"),
        step_size=step,
        min_qty=step,
        min_notional=Decimal("5000") if quote == "KRW" else Decimal("0"),
    )


def build_venue(
    name: str,
    venue_config: VenueConfig,
    config: SimulatorConfig,
    clock: SimulatorClock,
    rules_for: RulesFor,
    sources: Mapping[str, CandleSource] | None = None,
) -> Venue:
    """Random-walk markets from the config, CSV markets (Binance), then `sources` given by the
    caller (unified symbol -> CandleSource), which replace a configured market of that symbol."""
    sources = sources or {}
    markets = [
        _random_walk_market(m, config, clock, rules_for, index)
        for index, m in enumerate(venue_config.markets)
        if m.symbol not in sources
    ]
    if name == "binance" and config.csv_dir is not None:
        markets += _csv_markets(config.csv_dir, config.history_candles, clock, rules_for)
    markets += [_external_market(s, src, clock, rules_for) for s, src in sources.items()]
    model = ExecutionModel(
        maker_fee=venue_config.maker_fee,
        taker_fee=venue_config.taker_fee,
        spread=venue_config.spread,
        slippage=venue_config.slippage,
        participation=venue_config.participation,
        fee_in_quote=name == "upbit",
    )
    return Venue(
        name,
        clock,
        MatchingEngine(model, seed=config.seed),
        markets,
        client_ids_unique_among_open_only=venue_config.client_ids_unique_among_open_only,
    )


def _random_walk_market(
    market: MarketConfig,
    config: SimulatorConfig,
    clock: SimulatorClock,
    rules_for: RulesFor,
    index: int,
) -> Market:
    rules = _with_overrides(rules_for(market.base, market.quote, market.start_price), market)
    source = RandomWalkSource(
        symbol=rules.symbol,
        seed=config.seed + index,
        start=clock.now(),
        start_price=market.start_price,
        tick_size=rules.tick_size,
        volatility=market.volatility,
        history=config.history_candles,
    )
    return Market(rules=rules, source=source)


def _with_overrides(rules: SymbolRules, market: MarketConfig) -> SymbolRules:
    step = market.step_size or rules.step_size
    return SymbolRules(
        symbol=rules.symbol,
        base=rules.base,
        quote=rules.quote,
        tick_size=market.tick_size or rules.tick_size,
        step_size=step,
        min_qty=market.min_qty or (step if market.step_size else rules.min_qty),
        min_notional=rules.min_notional if market.min_notional is None else market.min_notional,
    )


def _external_market(
    symbol: str, source: CandleSource, clock: SimulatorClock, rules_for: RulesFor
) -> Market:
    base, _, quote = symbol.partition("/")
    if not base or not quote:
        raise ValueError(f"candle source symbol must look like BASE/QUOTE, got {symbol!r}")
    closed = source.closed_candles(clock.now())
    if not closed:
        raise ValueError(f"candle source for {symbol} has no closed candle at the market start")
    return Market(rules=rules_for(base, quote, closed[-1].close), source=source)


def _csv_markets(
    directory: Path, history: int, clock: SimulatorClock, rules_for: RulesFor
) -> list[Market]:
    markets = []
    for path in sorted(directory.glob("*.csv")):
        match = _CSV_NAME.match(path.name)
        if match is None:
            continue
        base, quote = match.groups()
        source = CsvCandleSource.replay_from(path, clock.now(), history)
        markets.append(Market(rules=rules_for(base, quote, source.first_price), source=source))
    return markets
