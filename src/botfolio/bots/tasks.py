"""The bot tick as a durable job, and the scheduler task that enqueues due ticks.

Each due tick is enqueued once per (bot, tick time) by the scheduler's leader (fenced), with the
idempotency key `bot.tick:<bot>:<tick time>`; any worker runs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from botfolio.bots.models import Bot, BotStatus
from botfolio.bots.tick import (
    Gateways,
    MarketCheckCache,
    Predictions,
    TickServices,
    due_tick,
    run_tick,
)
from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry, TaskContext
from botfolio.jobs.service import enqueue

TICK_JOB = "bot.tick"
SCHEDULE_TASK = "bots.schedule_ticks"
SCHEDULE_EVERY_SECONDS = 5.0


class BotsRuntime(Protocol):
    db: Database
    clock: Clock

    @property
    def gateways(self) -> Gateways: ...

    @property
    def predictions(self) -> Predictions: ...


def register_jobs(registry: JobRegistry, runtime: BotsRuntime) -> None:
    # One cache for every tick this worker runs: bots ticking the same boundary share each
    # series' refresh and quality check (the gateways and engine stay lazy until the first tick).
    market_checks = MarketCheckCache()

    async def tick(_ctx: JobContext, payload: dict[str, Any]) -> None:
        services = TickServices(
            runtime.db,
            runtime.clock,
            runtime.gateways,
            runtime.predictions,
            market_checks=market_checks,
        )
        await run_tick(services, str(payload["bot_id"]), datetime.fromisoformat(payload["tick_at"]))

    registry.register(TICK_JOB, tick)


async def enqueue_due_ticks(ctx: TaskContext) -> int:
    """One `bot.tick` per running bot whose rebalance boundary has passed since its last tick."""
    count = 0
    async with ctx.fenced_transaction() as session:
        bots = (
            await session.execute(select(Bot).where(Bot.status == BotStatus.RUNNING.value))
        ).scalars()
        for bot in bots:
            tick_at = due_tick(ctx.clock.now(), bot.timeframe, bot.rebalance_every)
            if bot.last_tick_at is not None and bot.last_tick_at >= tick_at:
                continue
            await enqueue(
                session,
                TICK_JOB,
                {"bot_id": bot.id, "tick_at": tick_at.isoformat()},
                idempotency_key=f"{TICK_JOB}:{bot.id}:{tick_at.isoformat()}",
                max_attempts=3,
                clock=ctx.clock,
            )
            count += 1
    return count


def register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: BotsRuntime) -> None:
    async def schedule(ctx: TaskContext) -> None:
        await enqueue_due_ticks(ctx)

    tasks.register(SCHEDULE_TASK, SCHEDULE_EVERY_SECONDS, schedule)
