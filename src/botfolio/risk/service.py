"""Risk use cases with I/O: trading states (the kill switch), loss-limit halts, denial events.

Services never commit; the tick, request or CLI command that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ValidationFailedError
from botfolio.portfolio.models import EquitySnapshot
from botfolio.risk.checks import (
    DraftLike,
    RiskContext,
    RiskDecision,
    evaluate,
    loss_limit_breach,
)
from botfolio.risk.limits import RiskLimits
from botfolio.risk.models import RiskEvent, TradingStateRow
from botfolio.risk.state import GLOBAL_SCOPE_ID, TradingScope, TradingState, most_restrictive

MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class ScopeRef:
    scope: TradingScope
    scope_id: str = GLOBAL_SCOPE_ID

    @classmethod
    def of(cls, *, user_id: str | None = None, bot_id: str | None = None) -> ScopeRef:
        """At most one of user and bot; neither means global."""
        if user_id and bot_id:
            raise ValidationFailedError("give a user or a bot, not both")
        if bot_id:
            return cls(TradingScope.BOT, bot_id)
        if user_id:
            return cls(TradingScope.USER, user_id)
        return cls(TradingScope.GLOBAL)


async def _row(session: AsyncSession, ref: ScopeRef) -> TradingStateRow | None:
    statement = select(TradingStateRow).where(
        TradingStateRow.scope == ref.scope.value, TradingStateRow.scope_id == ref.scope_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def effective_state(session: AsyncSession, bot_id: str, user_id: str) -> TradingState:
    """The most restrictive of the global, the user's and the bot's state (no row: ACTIVE)."""
    statement = select(TradingStateRow.state).where(
        or_(
            TradingStateRow.scope == TradingScope.GLOBAL.value,
            (TradingStateRow.scope == TradingScope.USER.value)
            & (TradingStateRow.scope_id == user_id),
            (TradingStateRow.scope == TradingScope.BOT.value)
            & (TradingStateRow.scope_id == bot_id),
        )
    )
    states = (await session.execute(statement)).scalars().all()
    return most_restrictive(TradingState(s) for s in states)


async def list_trading_states(session: AsyncSession) -> Sequence[TradingStateRow]:
    statement = select(TradingStateRow).order_by(TradingStateRow.scope, TradingStateRow.scope_id)
    return (await session.execute(statement)).scalars().all()


def _clean_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise ValidationFailedError("a reason is required for every trading state change")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise ValidationFailedError(f"the reason is longer than {MAX_REASON_LENGTH} characters")
    return cleaned


async def set_trading_state(
    session: AsyncSession,
    clock: Clock,
    *,
    actor: Actor,
    ref: ScopeRef,
    state: TradingState,
    reason: str,
) -> TradingStateRow:
    """Change one scope's state, audited. Resuming a bot that a loss limit halted is the manual
    reset: it clears the breach and restarts the loss-limit baselines from now."""
    reason = _clean_reason(reason)
    now = clock.now()
    row = await _row(session, ref)
    previous = TradingState(row.state) if row else TradingState.ACTIVE
    breach = row.breach if row else None
    if row is None:
        row = TradingStateRow(id=new_id(), scope=ref.scope.value, scope_id=ref.scope_id)
        session.add(row)
    row.state, row.reason, row.changed_by, row.changed_at = state.value, reason, actor.user_id, now
    if state is TradingState.ACTIVE and ref.scope is TradingScope.BOT:
        row.breach, row.reset_at = None, now
    await record_event(
        session,
        clock,
        actor=actor,
        action=f"trading.{state.value}",
        target_type=f"trading_{ref.scope.value}",
        target_id=ref.scope_id or None,
        details={"from": previous.value, "to": state.value, "reason": reason, "breach": breach},
    )
    await session.flush()
    return row


async def halt_on_loss_breach(
    session: AsyncSession,
    clock: Clock,
    *,
    bot_id: str,
    context: RiskContext,
    limits: RiskLimits,
) -> RiskDecision | None:
    """If the daily loss or drawdown limit is breached, halt the bot (audited, by the system)
    and return the breach. Only `set_trading_state(..., ACTIVE)` by a person resumes it."""
    breach = loss_limit_breach(context, limits)
    if breach is None:
        return None
    ref = ScopeRef(TradingScope.BOT, bot_id)
    row = await _row(session, ref)
    if row is not None and row.state == TradingState.HALTED.value and row.breach:
        return breach
    row = await set_trading_state(
        session,
        clock,
        actor=Actor.system(),
        ref=ref,
        state=TradingState.HALTED,
        reason=breach.reason,
    )
    row.breach = breach.check
    return breach


@dataclass(frozen=True)
class LossBaselines:
    peak_equity: Decimal | None
    day_start_equity: Decimal | None


async def loss_baselines(session: AsyncSession, bot_id: str, now: datetime) -> LossBaselines:
    """Peak equity and the day's first equity from the bot's snapshots, counted from its last
    manual reset (so a reset bot is not halted again by the loss that halted it)."""
    row = await _row(session, ScopeRef(TradingScope.BOT, bot_id))
    since = row.reset_at if row is not None and row.reset_at is not None else None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_from = max(midnight, since) if since else midnight
    base = select(EquitySnapshot).where(EquitySnapshot.bot_id == bot_id)
    peak = await _peak_equity(session, bot_id, since)
    first_today = base.where(EquitySnapshot.at >= day_from).order_by(EquitySnapshot.at).limit(1)
    day_row = (await session.execute(first_today)).scalar_one_or_none()
    return LossBaselines(peak, day_row.equity if day_row else None)


async def _peak_equity(
    session: AsyncSession, bot_id: str, since: datetime | None
) -> Decimal | None:
    """The highest equity since `since` (all time: the newest snapshot's running peak).

    Never SQL MAX() over the column: on SQLite exact decimals are text, and "9500" > "10200".
    """
    if since is None:
        newest = select(EquitySnapshot.peak_equity).where(EquitySnapshot.bot_id == bot_id)
        return await session.scalar(newest.order_by(EquitySnapshot.at.desc()).limit(1))
    highest = (
        select(EquitySnapshot.equity)
        .where(EquitySnapshot.bot_id == bot_id, EquitySnapshot.at >= since)
        .order_by(cast(EquitySnapshot.equity, Float).desc())  # order only; the value is exact
        .limit(1)
    )
    return await session.scalar(highest)


async def record_denials(
    session: AsyncSession,
    clock: Clock,
    *,
    bot_id: str,
    user_id: str,
    drafts: Sequence[DraftLike],
    decisions: Sequence[RiskDecision],
) -> list[RiskEvent]:
    """One `risk_events` row per denied draft (decisions are parallel to drafts)."""
    if len(drafts) != len(decisions):
        raise ValueError("one decision per draft")
    now = clock.now()
    events = [
        RiskEvent(
            id=new_id(),
            bot_id=bot_id,
            user_id=user_id,
            symbol=draft.symbol,
            side=draft.side.value,
            amount=draft.amount,
            check=decision.check,
            reason=decision.reason,
            at=now,
        )
        for draft, decision in zip(drafts, decisions, strict=True)
        if not decision.allowed
    ]
    session.add_all(events)
    await session.flush()
    return events


async def list_risk_events(
    session: AsyncSession, *, user_id: str, bot_id: str | None, limit: int, offset: int
) -> Sequence[RiskEvent]:
    statement = select(RiskEvent).where(RiskEvent.user_id == user_id)
    if bot_id is not None:
        statement = statement.where(RiskEvent.bot_id == bot_id)
    statement = statement.order_by(RiskEvent.at.desc(), RiskEvent.id.desc())
    return (await session.execute(statement.limit(limit).offset(offset))).scalars().all()


async def gate_drafts(
    session: AsyncSession,
    clock: Clock,
    *,
    bot_id: str,
    user_id: str,
    drafts: Sequence[DraftLike],
    context: RiskContext,
    limits: RiskLimits,
) -> list[RiskDecision]:
    """The tick's one call: halt the bot on a loss-limit breach, evaluate every draft, record
    the denials. The caller sends only the drafts whose decision is allowed."""
    await halt_on_loss_breach(session, clock, bot_id=bot_id, context=context, limits=limits)
    decisions = evaluate(drafts, context, limits)
    await record_denials(
        session, clock, bot_id=bot_id, user_id=user_id, drafts=drafts, decisions=decisions
    )
    return decisions
