"""One bot tick, exactly the spine in docs/architecture.md:

data refresh and quality gate -> predictions (with the model version) -> target weights ->
order drafts -> risk checks -> ONE transaction writing the orders (with their submit jobs and
audit events) -> submission by the workers. Nothing is sent from here.

A tick that runs twice (a retried job, a scheduler failover) computes the same deterministic
client order ids, finds the rows it wrote the first time, and places nothing new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor
from botfolio.backtest.step import Account, Decision, decide
from botfolio.bots.allocation import AllocationPolicy
from botfolio.bots.models import Bot, BotStatus
from botfolio.bots.schemas import AllocationIn
from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.exchanges.accounts import AccountStatus, get_account
from botfolio.exchanges.port import ClientOrderId, ExchangeGateway, Market, OrderType
from botfolio.logs import get_logger
from botfolio.market.fetch import GatewayCandleFetcher, fetch_into_store
from botfolio.market.quality import assess
from botfolio.market.repository import (
    SeriesKey,
    read_candles,
    record_anomalies,
)
from botfolio.market.timeframes import parse_timeframe
from botfolio.notifications.service import queue_notification
from botfolio.orders.client_ids import client_order_id_for
from botfolio.orders.service import OrderIntent, place_order_intent
from botfolio.portfolio.service import record_equity_snapshot
from botfolio.predictions.serving_types import Pending, Prediction, PredictRequest
from botfolio.risk.limits import RiskLimits
from botfolio.risk.service import (
    effective_state,
    halt_on_loss_breach,
    loss_baselines,
    record_denials,
)

log = get_logger(__name__)

QUALITY_WINDOW_BARS = 60
ALREADY_TICKED = "this tick already ran"


class Gateways(Protocol):
    async def for_account(self, account_id: str) -> ExchangeGateway: ...

    async def for_market_data(self, venue: str) -> ExchangeGateway: ...


class Predictions(Protocol):
    async def request(
        self, request: PredictRequest, *, request_key: str, user_id: str | None = None
    ) -> Prediction | Pending: ...


@dataclass
class TickOutcome:
    bot_id: str
    tick_at: datetime
    traded: bool = False
    skipped: str | None = None
    orders: list[str] = field(default_factory=list)
    model_version: str | None = None


@dataclass(frozen=True)
class TickServices:
    db: Database
    clock: Clock
    gateways: Gateways
    predictions: Predictions
    history_bars: int = 300
    market_checks: MarketCheckCache = field(default_factory=lambda: MarketCheckCache())


@dataclass(frozen=True)
class MarketCheck:
    """One series at one tick time: refreshed, checked, priced (or refused, with the reason)."""

    price: Decimal | None
    refusal: str | None


class MarketCheckCache:
    """Bots ticking the same boundary share each series' refresh and quality check: the venue is
    asked once per series per tick, not once per bot. Only the current boundary is kept."""

    def __init__(self) -> None:
        self._tick_at: datetime | None = None
        self._checks: dict[SeriesKey, MarketCheck] = {}
        self._locks: dict[SeriesKey, asyncio.Lock] = {}

    def lock(self, series: SeriesKey, tick_at: datetime) -> asyncio.Lock:
        if tick_at != self._tick_at:
            self._tick_at, self._checks, self._locks = tick_at, {}, {}
        return self._locks.setdefault(series, asyncio.Lock())

    def get(self, series: SeriesKey) -> MarketCheck | None:
        return self._checks.get(series)

    def put(self, series: SeriesKey, check: MarketCheck) -> None:
        self._checks[series] = check


async def run_tick(services: TickServices, bot_id: str, tick_at: datetime) -> TickOutcome:
    outcome = TickOutcome(bot_id, tick_at)
    bot, venue = await _load_tradable_bot(services, bot_id, tick_at, outcome)
    if bot is None or venue is None:
        return _logged(outcome)
    prices = await _refresh_market_data(services, bot, venue, tick_at, outcome)
    if prices is None:
        return _logged(outcome)
    scores = await _predict(services, bot, venue, tick_at, outcome)
    if scores is None:
        return _logged(outcome)
    gateway = await services.gateways.for_account(bot.account_id)
    decision = await _decide(services, bot, gateway, scores, prices)
    written = await _write_orders(services, bot, tick_at, decision)
    if written is None:
        outcome.skipped = ALREADY_TICKED
    else:
        outcome.orders = written
        outcome.traded = bool(written)
    return _logged(outcome)


async def _load_tradable_bot(
    services: TickServices, bot_id: str, tick_at: datetime, outcome: TickOutcome
) -> tuple[Bot | None, str | None]:
    async with services.db.session() as session:
        bot = await session.get(Bot, bot_id)
        if bot is None or bot.status != BotStatus.RUNNING.value:
            outcome.skipped = "bot is not running"
            return None, None
        if bot.last_tick_at is not None and bot.last_tick_at >= tick_at:
            outcome.skipped = ALREADY_TICKED
            return None, None
        account = await get_account(session, bot.account_id)
    if account.status != AccountStatus.ACTIVE.value:
        outcome.skipped = f"account {account.status}"
        return None, None
    if account.trading_blocked_reason:
        outcome.skipped = account.trading_blocked_reason
        return None, None
    return bot, account.venue


async def _refresh_market_data(
    services: TickServices, bot: Bot, venue: str, tick_at: datetime, outcome: TickOutcome
) -> dict[str, Decimal] | None:
    """Store the candles closed by `tick_at`; refuse to trade on gaps, spikes or stale data."""
    prices: dict[str, Decimal] = {}
    for symbol in bot.universe:
        series = SeriesKey(venue, symbol, bot.timeframe)
        async with services.market_checks.lock(series, tick_at):
            check = services.market_checks.get(series)
            if check is None:
                check = await _check_series(services, series, tick_at)
                services.market_checks.put(series, check)
        if check.price is None:
            outcome.skipped = check.refusal
            log.warning("bot.data_quality_hold", bot_id=bot.id, symbol=symbol, reason=check.refusal)
            return None
        prices[symbol] = check.price
    return prices


async def _check_series(
    services: TickServices, series: SeriesKey, tick_at: datetime
) -> MarketCheck:
    gateway = await services.gateways.for_market_data(series.venue)
    await _fetch_new_candles(services, GatewayCandleFetcher(gateway), series, tick_at)
    step = parse_timeframe(series.timeframe)
    async with services.db.session() as session:
        recent = await read_candles(session, series, start=tick_at - step * QUALITY_WINDOW_BARS)
    report = assess(recent.astype(float) if not recent.empty else recent, series.timeframe, tick_at)
    if not report.ok:
        async with services.db.transaction() as session:
            await record_anomalies(session, series, report.anomalies, services.clock.now())
        return MarketCheck(None, f"data quality: {series.symbol} {report.anomalies[0].kind}")
    return MarketCheck(Decimal(str(recent["close"].iloc[-1])), None)


async def _fetch_new_candles(
    services: TickServices, fetcher: GatewayCandleFetcher, series: SeriesKey, now: datetime
) -> None:
    """Network first, then one short write per page: no lock is held while the venue answers."""
    history = parse_timeframe(series.timeframe) * services.history_bars
    await fetch_into_store(services.db, fetcher, series, now, start_if_empty=now - history)


async def _predict(
    services: TickServices, bot: Bot, venue: str, tick_at: datetime, outcome: TickOutcome
) -> dict[str, float] | None:
    """Expected returns, or None to hold: never trade on missing or stale predictions."""
    answer = await services.predictions.request(
        PredictRequest(
            symbols=tuple(bot.universe), venue=venue, family=bot.model_family, bot_id=bot.id
        ),
        request_key=f"{bot.id}:{tick_at.isoformat()}",
        user_id=bot.user_id,
    )
    if isinstance(answer, Pending):
        outcome.skipped = f"predictions pending: {answer.reason}"
        return None
    outcome.model_version = answer.model_version_id
    return dict(answer.values)


async def _decide(
    services: TickServices,
    bot: Bot,
    gateway: ExchangeGateway,
    scores: dict[str, float],
    prices: dict[str, Decimal],
) -> Decision:
    """The one decision function the backtest also runs: allocation, then the risk checks."""
    markets = await gateway.load_markets()
    balances = await gateway.fetch_balances()
    holdings = {
        s: balances[s.split("/")[0]].total if s.split("/")[0] in balances else Decimal(0)
        for s in bot.universe
    }
    held_value = sum((q * prices[s] for s, q in holdings.items()), Decimal(0))
    free_quote = balances[bot.quote_asset].free if bot.quote_asset in balances else Decimal(0)
    async with services.db.session() as session:
        state = await effective_state(session, bot.id, bot.user_id)
        baselines = await loss_baselines(session, bot.id, services.clock.now())
    account = Account(
        cash=max(Decimal(0), min(free_quote, Decimal(bot.budget) - held_value)),
        holdings=holdings,
        quote=bot.quote_asset,
        state=state,
        day_start_equity=baselines.day_start_equity,
        peak_equity=baselines.peak_equity,
    )
    return decide(
        scores,
        account,
        prices,
        {s: _market(markets, s) for s in bot.universe},
        policy_of(bot),
        RiskLimits.model_validate(bot.risk_limits),
    )


def _market(markets: Mapping[str, Market], symbol: str) -> Market:
    return markets[symbol]


def policy_of(bot: Bot) -> AllocationPolicy:
    stored = AllocationIn.model_validate(bot.allocation)
    return AllocationPolicy(
        method=stored.method,
        top_k=stored.top_k,
        max_weight=stored.max_weight,
        cash_buffer=stored.cash_buffer,
        min_score=stored.min_score,
    )


async def _write_orders(
    services: TickServices, bot: Bot, tick_at: datetime, decision: Decision
) -> list[str] | None:
    """ONE transaction: every allowed order of this tick with its submit job and audit event,
    every risk denial, a loss-limit halt, the equity point and the bot's `last_tick_at`. None
    when another run of this tick already wrote them: the bot row is locked first, so two runs
    of one tick cannot both write."""
    written: list[str] = []
    async with services.db.transaction() as session:
        row = (
            await session.execute(select(Bot).where(Bot.id == bot.id).with_for_update())
        ).scalar_one()
        if row.last_tick_at is not None and row.last_tick_at >= tick_at:
            return None
        account = await get_account(session, bot.account_id)
        await _record_risk(services, session, bot, decision)
        for draft in decision.allowed:
            intent = OrderIntent(
                client_order_id=ClientOrderId(
                    client_order_id_for(bot.id, tick_at.isoformat(), draft.symbol, draft.side.value)
                ),
                symbol=draft.symbol,
                side=draft.side,
                type=OrderType.MARKET,
                amount=draft.amount,
                bot_id=bot.id,
            )
            order, _ = await place_order_intent(
                session, services.clock, account=account, intent=intent, actor=Actor.system()
            )
            written.append(order.id)
        await record_equity_snapshot(
            session,
            services.clock,
            bot_id=bot.id,
            cash=decision.cash,
            positions_value=decision.equity - decision.cash,
        )
        row.last_tick_at = tick_at
    return written


async def _record_risk(
    services: TickServices, session: AsyncSession, bot: Bot, decision: Decision
) -> None:
    """Denials become risk events shown to the user; a loss-limit breach halts the bot."""
    await record_denials(
        session,
        services.clock,
        bot_id=bot.id,
        user_id=bot.user_id,
        drafts=decision.drafts,
        decisions=decision.risk,
    )
    if decision.breach is not None:
        await halt_on_loss_breach(
            session,
            services.clock,
            bot_id=bot.id,
            context=decision.context,
            limits=decision.limits,
        )
        await queue_notification(
            session,
            services.clock,
            user_id=bot.user_id,
            event="bot.halted",
            data={"bot": bot.name, "reason": decision.breach.reason},
            dedup_key=f"bot.halted:{bot.id}:{services.clock.now().date().isoformat()}",
        )


def _logged(outcome: TickOutcome) -> TickOutcome:
    log.info(
        "bot.ticked",
        bot_id=outcome.bot_id,
        tick_at=outcome.tick_at.isoformat(),
        orders=len(outcome.orders),
        skipped=outcome.skipped,
        model_version=outcome.model_version,
    )
    return outcome


def due_tick(now: datetime, timeframe: str, rebalance_every: int) -> datetime:
    """The latest rebalance boundary at or before `now`, aligned to candle closes."""
    period = parse_timeframe(timeframe) * rebalance_every
    epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
    return epoch + ((now - epoch) // period) * period
