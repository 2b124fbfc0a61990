"""Bot use cases: create, change, start/pause/resume/stop; every change audited. Never commits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.bots.models import Bot, BotStatus
from botfolio.bots.schemas import BotCreate, BotUpdate
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError
from botfolio.exchanges.accounts import get_owned_account

SYMBOL = re.compile(r"^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$")
CREDENTIALS_PAUSE = "exchange credentials rejected: re-link the account"

# command -> (allowed from, to)
TRANSITIONS: dict[str, tuple[frozenset[BotStatus], BotStatus]] = {
    "start": (frozenset({BotStatus.CREATED}), BotStatus.RUNNING),
    "pause": (frozenset({BotStatus.RUNNING}), BotStatus.PAUSED),
    "resume": (frozenset({BotStatus.PAUSED}), BotStatus.RUNNING),
    "stop": (
        frozenset({BotStatus.CREATED, BotStatus.RUNNING, BotStatus.PAUSED}),
        BotStatus.STOPPED,
    ),
}


def _check_universe(universe: Sequence[str], quote_asset: str) -> list[str]:
    cleaned = [s.strip().upper() for s in universe]
    bad = [s for s in cleaned if not SYMBOL.match(s) or s.split("/")[1] != quote_asset]
    if bad:
        raise ValidationFailedError(
            f"symbols must be BASE/{quote_asset}: {', '.join(bad)}", symbols=bad
        )
    if len(set(cleaned)) != len(cleaned):
        raise ValidationFailedError("the universe lists a symbol twice")
    return cleaned


async def create_bot(
    session: AsyncSession, clock: Clock, *, actor: Actor, user_id: str, spec: BotCreate
) -> Bot:
    account = await get_owned_account(session, spec.account_id, user_id)
    now = clock.now()
    bot = Bot(
        id=new_id(),
        user_id=user_id,
        account_id=account.id,
        name=spec.name,
        universe=_check_universe(spec.universe, spec.quote_asset),
        quote_asset=spec.quote_asset,
        budget=spec.budget,
        timeframe=spec.timeframe,
        rebalance_every=spec.rebalance_every,
        model_family=spec.model_family,
        allocation=spec.allocation.model_dump(mode="json"),
        risk_limits=spec.risk_limits,
        mode=spec.mode.value,
        allow_hotswap=spec.allow_hotswap,
        status=BotStatus.CREATED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(bot)
    await session.flush()
    await _audit(session, clock, actor, bot, "bot.created", {"name": bot.name, "mode": bot.mode})
    return bot


async def update_bot(
    session: AsyncSession, clock: Clock, *, actor: Actor, bot: Bot, changes: BotUpdate
) -> Bot:
    values: dict[str, Any] = changes.model_dump(exclude_unset=True, mode="json")
    if "universe" in values:
        values["universe"] = _check_universe(values["universe"], bot.quote_asset)
    if "budget" in values:
        values["budget"] = changes.budget
    for key, value in values.items():
        setattr(bot, key, value)
    bot.updated_at = clock.now()
    await _audit(session, clock, actor, bot, "bot.updated", {"fields": sorted(values)})
    return bot


async def change_status(
    session: AsyncSession,
    clock: Clock,
    *,
    actor: Actor,
    bot: Bot,
    command: str,
    reason: str | None = None,
) -> Bot:
    if command not in TRANSITIONS:
        raise ValidationFailedError(f"unknown command {command!r}")
    allowed_from, target = TRANSITIONS[command]
    current = BotStatus(bot.status)
    if current not in allowed_from:
        raise ConflictError(f"cannot {command} a bot that is {current.value}")
    bot.status = target.value
    bot.status_reason = reason
    bot.updated_at = clock.now()
    await _audit(
        session, clock, actor, bot, f"bot.{command}", {"from": current.value, "reason": reason}
    )
    return bot


async def get_owned_bot(session: AsyncSession, bot_id: str, user_id: str) -> Bot:
    """Another user's bot is reported as not found, never as forbidden."""
    bot = await session.get(Bot, bot_id)
    if bot is None or bot.user_id != user_id:
        raise NotFoundError(f"bot {bot_id} does not exist")
    return bot


async def list_bots(session: AsyncSession, *, user_id: str | None = None) -> Sequence[Bot]:
    stmt = select(Bot).order_by(Bot.created_at)
    if user_id is not None:
        stmt = stmt.where(Bot.user_id == user_id)
    return (await session.execute(stmt)).scalars().all()


async def pause_bots_of_account(
    session: AsyncSession, clock: Clock, account_id: str, reason: str
) -> list[Bot]:
    """The account cannot trade (e.g. rejected keys): its running bots pause with the reason."""
    bots = (
        (
            await session.execute(
                select(Bot).where(
                    Bot.account_id == account_id, Bot.status == BotStatus.RUNNING.value
                )
            )
        )
        .scalars()
        .all()
    )
    for bot in bots:
        await change_status(
            session, clock, actor=Actor.system(), bot=bot, command="pause", reason=reason
        )
    return list(bots)


async def resume_bots_paused_for(
    session: AsyncSession, clock: Clock, account_id: str, reason: str, actor: Actor
) -> list[Bot]:
    bots = (
        (
            await session.execute(
                select(Bot).where(
                    Bot.account_id == account_id,
                    Bot.status == BotStatus.PAUSED.value,
                    Bot.status_reason == reason,
                )
            )
        )
        .scalars()
        .all()
    )
    for bot in bots:
        await change_status(session, clock, actor=actor, bot=bot, command="resume")
    return list(bots)


async def _audit(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    bot: Bot,
    action: str,
    details: dict[str, Any],
) -> None:
    await record_event(
        session,
        clock,
        actor=actor,
        action=action,
        target_type="bot",
        target_id=bot.id,
        details=details,
    )
