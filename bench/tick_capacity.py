"""Tick capacity: bot ticks per minute by one worker against the simulator, five symbols per bot,
orders included (each tick's orders are submitted to the venue through CCXT), and the p99 tick
latency. The target named by the bots issue, 1,000 ticks/min, is the baseline the ratio is
printed against. SQLite (the embedded default). Tune with BENCH_BOTS (default 30) and
BENCH_ROUNDS (default 3 rebalance boundaries).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from botfolio.audit.service import Actor
from botfolio.bots import service as bots
from botfolio.bots.schemas import AllocationIn, BotCreate
from botfolio.bots.tick import TickServices, _fetch_new_candles, run_tick
from botfolio.clock import ManualClock
from botfolio.config import ExchangeSettings, Settings, VenueSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig, VenueConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.logs import configure_logging
from botfolio.market.fetch import GatewayCandleFetcher
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.orders.submission import OrderSubmitter
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


async def _runtime(sim: RunningSimulator, tmp: Path) -> Runtime:
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


async def _bots(rt: Runtime, sim: RunningSimulator) -> list[str]:
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


async def _main() -> None:
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as raw:
        tmp = Path(raw)
        async with run_simulator(_simulator()) as sim:
            rt = await _runtime(sim, tmp)
            services = TickServices(rt.db, rt.clock, rt.gateways, rt.predictions, history_bars=600)
            await _champion(rt, services, tmp)
            bot_ids = await _bots(rt, sim)
            submitter = OrderSubmitter(rt.db, rt.gateways, rt.clock)
            latencies, orders, started = [], 0, time.perf_counter()
            for round_ in range(ROUNDS):
                tick_at = START + timedelta(minutes=round_)
                if round_:
                    await sim.control("binance").step(60)
                assert isinstance(rt.clock, ManualClock)
                rt.clock.set(tick_at)
                for bot_id in bot_ids:
                    t0 = time.perf_counter()
                    outcome = await run_tick(services, bot_id, tick_at)
                    for order_id in outcome.orders:
                        await submitter.submit(order_id)
                    latencies.append(time.perf_counter() - t0)
                    orders += len(outcome.orders)
            elapsed = time.perf_counter() - started
            await rt.close()
    per_minute = len(latencies) / elapsed * 60
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"ticks={len(latencies)} bots={BOTS} symbols/bot={len(SYMBOLS)} orders placed={orders}  "
        f"median tick {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms  |  "
        f"{per_minute:,.0f} ticks/min by one worker  |  ratio to the {TARGET_PER_MINUTE}/min target: "
        f"{per_minute / TARGET_PER_MINUTE:.2f}x",
        flush=True,
    )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
