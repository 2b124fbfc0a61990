"""Trading states on the real databases: the global halt stops every bot, a loss-limit breach
halts a bot until a person resets it (audited), and denials are recorded with their reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.audit.service import Actor
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.errors import ValidationFailedError
from botfolio.exchanges.port import Market, OrderSide
from botfolio.portfolio.service import record_equity_snapshot
from botfolio.risk import service
from botfolio.risk.checks import RiskContext, evaluate
from botfolio.risk.limits import RiskLimits
from botfolio.risk.models import TradingStateRow
from botfolio.risk.state import TradingScope, TradingState

OPERATOR = Actor("operator-1", "127.0.0.1")
BOTS = [("bot-a1", "user-a"), ("bot-a2", "user-a"), ("bot-b1", "user-b")]
MARKET = Market("BTC/USDT", "BTC", "USDT", D("0.01"), D("0.001"), D("0.001"), D("10"))


@dataclass(frozen=True)
class Draft:
    symbol: str
    side: OrderSide
    amount: D
    reference_price: D


BUY = Draft("BTC/USDT", OrderSide.BUY, D("0.01"), D("20000"))


def _context(state: TradingState, equity: D = D("10000"), **baselines: D | None) -> RiskContext:
    return RiskContext(
        state=state,
        equity=equity,
        holdings={},
        balances={"USDT": D("10000")},
        last_prices={"BTC/USDT": D("20000")},
        markets={"BTC/USDT": MARKET},
        **baselines,
    )


async def _states(db: Database) -> list[TradingState]:
    async with db.session() as session:
        return [await service.effective_state(session, b, u) for b, u in BOTS]


async def _actions(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.actor_id)
            .where(AuditEvent.action.like("trading.%"))
            .order_by(AuditEvent.id)
        )
        return [(a, who) for a, who in rows.all()]


async def test_global_halt_when_set_every_bot_is_halted_and_denies_all_orders(
    db: Database, clock: ManualClock
) -> None:
    assert await _states(db) == [TradingState.ACTIVE] * 3
    async with db.transaction() as session:
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(),
            state=TradingState.HALTED,
            reason="venue incident",
        )
    states = await _states(db)
    assert states == [TradingState.HALTED] * 3
    for state in states:
        [decision] = evaluate([BUY], _context(state), RiskLimits())
        assert not decision.allowed and decision.check == "trading_state"
    async with db.transaction() as session:
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(),
            state=TradingState.ACTIVE,
            reason="incident over",
        )
    assert await _states(db) == [TradingState.ACTIVE] * 3
    assert await _actions(db) == [
        ("trading.halted", "operator-1"),
        ("trading.active", "operator-1"),
    ]


async def test_effective_state_when_scopes_differ_is_the_most_restrictive(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as session:
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(user_id="user-a"),
            state=TradingState.REDUCING,
            reason="margin call",
        )
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(bot_id="bot-a2"),
            state=TradingState.HALTED,
            reason="misbehaving",
        )
    assert await _states(db) == [TradingState.REDUCING, TradingState.HALTED, TradingState.ACTIVE]


@pytest.mark.parametrize(
    ("reason", "scope"),
    [("   ", service.ScopeRef.of()), ("x" * 501, service.ScopeRef.of(bot_id="bot-a1"))],
)
async def test_set_trading_state_when_reason_is_bad_refuses_and_changes_nothing(
    db: Database, clock: ManualClock, reason: str, scope: service.ScopeRef
) -> None:
    with pytest.raises(ValidationFailedError):
        async with db.transaction() as session:
            await service.set_trading_state(
                session, clock, actor=OPERATOR, ref=scope, state=TradingState.HALTED, reason=reason
            )
    with pytest.raises(ValidationFailedError):
        service.ScopeRef.of(user_id="user-a", bot_id="bot-a1")
    assert await _states(db) == [TradingState.ACTIVE] * 3
    assert await _actions(db) == []


async def _snapshot(db: Database, clock: ManualClock, equity: D) -> None:
    async with db.transaction() as session:
        await record_equity_snapshot(
            session, clock, bot_id="bot-a1", cash=equity, positions_value=D(0)
        )


async def _tick_breach(db: Database, clock: ManualClock, equity: D, limits: RiskLimits) -> bool:
    """What the tick does: baselines from the snapshots, then halt on a breach."""
    async with db.transaction() as session:
        baselines = await service.loss_baselines(session, "bot-a1", clock.now())
        state = await service.effective_state(session, "bot-a1", "user-a")
        context = _context(
            state,
            equity,
            peak_equity=baselines.peak_equity,
            day_start_equity=baselines.day_start_equity,
        )
        breach = await service.halt_on_loss_breach(
            session, clock, bot_id="bot-a1", context=context, limits=limits
        )
    return breach is not None


async def test_drawdown_breach_when_reached_halts_bot_until_a_manual_audited_reset(
    db: Database, clock: ManualClock
) -> None:
    limits = RiskLimits(max_drawdown_pct=D("20"), max_daily_loss_pct=D("50"))
    await _snapshot(db, clock, D("1000"))
    clock.advance(timedelta(days=1))
    await _snapshot(db, clock, D("1200"))
    clock.advance(timedelta(days=1))
    assert not await _tick_breach(db, clock, D("1000"), limits)
    assert await _tick_breach(db, clock, D("950"), limits)
    assert (await _states(db))[0] is TradingState.HALTED
    # Later ticks, even after equity recovers, do not resume the bot nor re-audit the halt.
    await _snapshot(db, clock, D("1300"))
    assert not await _tick_breach(db, clock, D("1300"), limits)
    assert (await _states(db))[0] is TradingState.HALTED
    assert await _actions(db) == [("trading.halted", None)]
    async with db.session() as session:
        row = (await session.execute(select(TradingStateRow))).scalar_one()
        assert (row.scope, row.breach) == (TradingScope.BOT.value, "drawdown")

    clock.advance(timedelta(hours=1))
    async with db.transaction() as session:
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(bot_id="bot-a1"),
            state=TradingState.ACTIVE,
            reason="reviewed the losses, resuming",
        )
    assert (await _states(db))[0] is TradingState.ACTIVE
    assert await _actions(db) == [("trading.halted", None), ("trading.active", "operator-1")]
    # The reset restarts the baselines: the old peak no longer halts the bot.
    async with db.session() as session:
        baselines = await service.loss_baselines(session, "bot-a1", clock.now())
    assert baselines.peak_equity is None
    assert not await _tick_breach(db, clock, D("950"), limits)


async def test_record_denials_when_drafts_denied_stores_one_event_per_denial(
    db: Database, clock: ManualClock
) -> None:
    drafts = [BUY, Draft("BTC/USDT", OrderSide.BUY, D("0.01"), D("30000"))]
    decisions = evaluate(drafts, _context(TradingState.ACTIVE), RiskLimits())
    assert [d.allowed for d in decisions] == [True, False]
    async with db.transaction() as session:
        await service.record_denials(
            session, clock, bot_id="bot-a1", user_id="user-a", drafts=drafts, decisions=decisions
        )
    async with db.session() as session:
        mine = await service.list_risk_events(
            session, user_id="user-a", bot_id=None, limit=10, offset=0
        )
        theirs = await service.list_risk_events(
            session, user_id="user-b", bot_id=None, limit=10, offset=0
        )
    assert [(e.check, e.symbol, e.side, e.amount) for e in mine] == [
        ("price_band", "BTC/USDT", "buy", D("0.01"))
    ]
    assert "band" in mine[0].reason and theirs == []


async def test_gate_drafts_when_daily_loss_breached_halts_denies_and_records_every_draft(
    db: Database, clock: ManualClock
) -> None:
    context = _context(TradingState.ACTIVE, D("9000"), day_start_equity=D("10000"))
    async with db.transaction() as session:
        decisions = await service.gate_drafts(
            session,
            clock,
            bot_id="bot-a1",
            user_id="user-a",
            drafts=[BUY, BUY],
            context=context,
            limits=RiskLimits(max_daily_loss_pct=D("5")),
        )
    assert [(d.allowed, d.check) for d in decisions] == [(False, "daily_loss")] * 2
    assert (await _states(db))[0] is TradingState.HALTED
    async with db.session() as session:
        events = await service.list_risk_events(
            session, user_id="user-a", bot_id="bot-a1", limit=10, offset=0
        )
    assert [e.check for e in events] == ["daily_loss", "daily_loss"]


async def test_loss_baselines_when_equity_gains_a_digit_takes_the_numeric_peak(
    db: Database, clock: ManualClock
) -> None:
    """Exact decimals are text on SQLite, where "9500" sorts above "10200"."""
    for equity in ("9000", "10200", "9500"):
        await _snapshot(db, clock, D(equity))
        clock.advance(timedelta(minutes=1))
    async with db.transaction() as session:
        before_reset = await service.loss_baselines(session, "bot-a1", clock.now())
        await service.set_trading_state(
            session,
            clock,
            actor=OPERATOR,
            ref=service.ScopeRef.of(bot_id="bot-a1"),
            state=TradingState.ACTIVE,
            reason="start counting again",
        )
    for equity in ("9800", "10100", "9900"):
        clock.advance(timedelta(minutes=1))
        await _snapshot(db, clock, D(equity))
    async with db.session() as session:
        after_reset = await service.loss_baselines(session, "bot-a1", clock.now())

    assert before_reset.peak_equity == D("10200")
    assert after_reset.peak_equity == D("10100")
    assert await _tick_breach(db, clock, D("8000"), RiskLimits(max_drawdown_pct=D("20")))
