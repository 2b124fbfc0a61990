"""Tick capacity: bot ticks per minute by one worker against the simulator, five symbols per bot,
orders included, and the p99 tick latency. The simulator runs in a process of its own, as a venue
does not share the worker's CPU. The production path: at each boundary the `bot.tick`
jobs are enqueued as the scheduler does, and one `Worker` (the jobs.concurrency setting, 4 by
default) runs them and the `orders.submit` jobs they write until nothing is left, so every order
has been answered by the venue (through CCXT) when the clock stops. The target named by the bots
issue, 1,000 ticks/min, is the baseline the ratio is printed against. SQLite (the embedded
default). Tune with BENCH_BOTS (default 30), BENCH_ROUNDS (default 3 rebalance boundaries) and
BENCH_CONCURRENCY (default: the worker's default).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench._simulator_process import RemoteSimulator, simulator_process
from botfolio.audit.service import Actor
from botfolio.bots import service as bots
from botfolio.bots import tasks as bot_tasks
from botfolio.bots.schemas import AllocationIn, BotCreate
from botfolio.bots.tick import TickServices, _fetch_new_candles
from botfolio.clock import ManualClock
from botfolio.config import ExchangeSettings, JobSettings, Settings, VenueSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig, VenueConfig
from botfolio.jobs.models import Job
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.service import enqueue
from botfolio.jobs.worker import Worker
from botfolio.logs import configure_logging
from botfolio.market.fetch import GatewayCandleFetcher
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.orders import tasks as order_tasks
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.service import SUBMIT_JOB
from botfolio.predictions import registry
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.models import ModelState
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

BOTS = int(os.environ.get("BENCH_BOTS", "30"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", str(JobSettings().concurrency)))
TARGET_PER_MINUTE = 1000
START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SYMBOLS = ["AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT", "EEE/USDT"]
OPERATOR = Actor(None, None)


def _simulator() -> SimulatorConfig:
    markets = [
        MarketConfig(symbol=s, start_price=Decimal(100 + 10 * n), volatility=Decimal("0.003"))
        for n, s in enumerate(SYMBOLS)
    ]
    return SimulatorConfig(
        seed=9, start=START, history_candles=600, binance=VenueConfig(markets=markets)
    )


async def _runtime(sim: RemoteSimulator, tmp: Path) -> Runtime:
    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    await asyncio.to_thread(migrate.upgrade, url)
    venues = {
        "binance": VenueSettings(
            ccxt_id="binance", base_url=sim.binance_url, requests_per_second=100_000
        )
    }
    settings = Settings(
        database={"url": url},
        data_dir=tmp,
        security={"keyring_file": tmp / "k.json"},
        exchanges=ExchangeSettings(venues=venues),
    )
    return Runtime(
        settings=settings,
        db=Database(url),
        cipher=FieldCipher(KeyRing.generate()),
        clock=ManualClock(START),
    )


async def _champion(rt: Runtime, services: TickServices, tmp: Path) -> None:
    gateway = await rt.gateways.for_market_data("binance")
    frames = {}
    for symbol in SYMBOLS:
        series = SeriesKey("binance", symbol, "1m")
        await _fetch_new_candles(services, GatewayCandleFetcher(gateway), series, START)
        async with rt.db.session() as session:
            frames[symbol] = (await read_candles(session, series)).astype(float)
    params = {**default_lightgbm_params(), "num_threads": 1}
    result = train_walk_forward(
        frames,
        TrainingConfig(timeframe="1m", horizon=5, folds=2, num_boost_round=30, params=params),
    )
    save_artifact(result, tmp / "model")
    async with rt.db.transaction() as session:
        version = await registry.register_version(
            session, rt.clock, artifact_dir=tmp / "model", actor=OPERATOR
        )
        await registry.promote(
            session, rt.clock, version.id, to=ModelState.CHAMPION, actor=OPERATOR
        )


async def _bots(rt: Runtime, sim: RemoteSimulator) -> list[str]:
    control = sim.control("binance")
    ids = []
    for n in range(BOTS):
        acct = await control.create_account({"USDT": Decimal("10000")})
        async with rt.db.transaction() as session:
            account = await add_account(
                session,
                rt.clock,
                rt.cipher,
                actor=OPERATOR,
                user_id=f"user-{n}",
                venue="binance",
                label="bench",
                creds=Credentials(acct["api_key"], acct["secret"]),
            )
            bot = await bots.create_bot(
                session,
                rt.clock,
                actor=OPERATOR,
                user_id=f"user-{n}",
                spec=BotCreate(
                    name=f"bot-{n}",
                    account_id=account.id,
                    universe=SYMBOLS,
                    quote_asset="USDT",
                    budget=Decimal("10000"),
                    timeframe="1m",
                    allocation=AllocationIn(top_k=3, max_weight=Decimal("0.3"), min_score=-1.0),
                ),
            )
            await bots.change_status(session, rt.clock, actor=OPERATOR, bot=bot, command="start")
        ids.append(bot.id)
    await control.aclose()
    return ids


@dataclass
class Rounds:
    tick_seconds: list[float] = field(default_factory=list)
    round_seconds: list[float] = field(default_factory=list)
    elapsed: float = 0.0


def _timed_registry(rt: Runtime, rounds: Rounds) -> JobRegistry:
    """The worker's real handlers for ticks and order submissions, the tick timed per job."""
    real = JobRegistry()
    bot_tasks.register_jobs(real, rt)
    order_tasks.register_jobs(real, rt)
    tick = real.get(bot_tasks.TICK_JOB)

    async def timed_tick(ctx: JobContext, payload: dict[str, Any]) -> None:
        started = time.perf_counter()
        await tick(ctx, payload)
        rounds.tick_seconds.append(time.perf_counter() - started)

    registry = JobRegistry()
    registry.register(bot_tasks.TICK_JOB, timed_tick)
    registry.register(SUBMIT_JOB, real.get(SUBMIT_JOB))
    return registry


async def _enqueue_ticks(rt: Runtime, bot_ids: list[str], tick_at: datetime) -> None:
    """What the scheduler's leader does at a boundary: one keyed `bot.tick` job per bot."""
    async with rt.db.transaction() as session:
        for bot_id in bot_ids:
            await enqueue(
                session,
                bot_tasks.TICK_JOB,
                {"bot_id": bot_id, "tick_at": tick_at.isoformat()},
                idempotency_key=f"{bot_tasks.TICK_JOB}:{bot_id}:{tick_at.isoformat()}",
                clock=rt.clock,
            )


async def _run_rounds(rt: Runtime, sim: RemoteSimulator, bot_ids: list[str]) -> Rounds:
    """Each boundary: enqueue the ticks, then one worker runs them and the orders they write
    until nothing is left. Measured from the enqueue to the last order's answer."""
    rounds = Rounds()
    registry = _timed_registry(rt, rounds)
    assert isinstance(rt.clock, ManualClock)
    for round_ in range(ROUNDS):
        if round_:
            async with sim.control("binance") as control:
                await control.step(60)
        tick_at = START + timedelta(minutes=round_)
        rt.clock.set(tick_at)
        started = time.perf_counter()
        await _enqueue_ticks(rt, bot_ids, tick_at)
        worker = Worker(rt.db, registry, rt.settings.jobs, rt.clock, concurrency=CONCURRENCY)
        await worker.run_until_idle()
        rounds.round_seconds.append(time.perf_counter() - started)
    rounds.elapsed = sum(rounds.round_seconds)
    return rounds


async def _job_outcomes(rt: Runtime) -> dict[str, int]:
    async with rt.db.session() as session:
        rows = await session.execute(select(Job.state, func.count()).group_by(Job.state))
        return {state: count for state, count in rows.all()}


async def _orders_filled(rt: Runtime) -> tuple[int, int]:
    async with rt.db.session() as session:
        total = (await session.execute(select(func.count()).select_from(Order))).scalar_one()
        filled = (
            await session.execute(
                select(func.count()).where(Order.status == OrderStatus.FILLED.value)
            )
        ).scalar_one()
    return int(total), int(filled)


async def _main() -> None:
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        with simulator_process(_simulator()) as sim:
            rt = await _runtime(sim, tmp)
            services = TickServices(rt.db, rt.clock, rt.gateways, rt.predictions, history_bars=600)
            await _champion(rt, services, tmp)
            bot_ids = await _bots(rt, sim)
            rounds = await _run_rounds(rt, sim, bot_ids)
            jobs = await _job_outcomes(rt)
            orders, filled = await _orders_filled(rt)
            await rt.close()
    _report(rounds, jobs, orders, filled)


def _report(rounds: Rounds, jobs: dict[str, int], orders: int, filled: int) -> None:
    ticks = len(rounds.tick_seconds)
    per_minute = ticks / rounds.elapsed * 60
    ordered = sorted(rounds.tick_seconds)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"ticks={ticks} bots={BOTS} symbols/bot={len(SYMBOLS)} worker concurrency={CONCURRENCY}  "
        f"orders placed={orders} filled={filled}  jobs={jobs}",
        flush=True,
    )
    print(
        f"tick job latency: median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms  |  boundary to last order answered: median "
        f"{statistics.median(rounds.round_seconds):.2f} s for {BOTS} bots",
        flush=True,
    )
    print(
        f"{per_minute:,.0f} ticks/min by one worker (orders included)  |  ratio to the "
        f"{TARGET_PER_MINUTE}/min target: {per_minute / TARGET_PER_MINUTE:.2f}x",
        flush=True,
    )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
