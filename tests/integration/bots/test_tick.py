"""The bot tick on the real path: simulator candles through CCXT, a real LightGBM champion in the
registry, allocation, orders written in one transaction and submitted to the venue; a tick run
twice places nothing new; with no model able to serve, the bot holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from botfolio.audit.service import Actor
from botfolio.bots import service as bots
from botfolio.bots import tasks as bot_tasks
from botfolio.bots import tick as tick_module
from botfolio.bots.schemas import AllocationIn, BotCreate
from botfolio.bots.tick import TickServices, _fetch_new_candles, run_tick
from botfolio.clock import ManualClock
from botfolio.config import Settings
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.service import enqueue
from botfolio.jobs.worker import Worker
from botfolio.market.fetch import GatewayCandleFetcher
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.orders import tasks as order_tasks
from botfolio.orders.models import Order, OrderStatus
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
from botfolio.security.keyring import KeyRing

from ..orders.conftest import link_account, venue_runtime_of

START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
UNIVERSE = ["BTC/USDT", "ETH/USDT"]


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with run_simulator(SimulatorConfig(seed=21, start=START, history_candles=700)) as running:
        yield running


@dataclass
class Desk:
    runtime: Runtime
    services: TickServices
    account: ExchangeAccount
    sim: RunningSimulator


@pytest.fixture
async def desk(
    settings: Settings, keyring: KeyRing, sim: RunningSimulator, tmp_path: Path
) -> AsyncIterator[Desk]:
    rt = venue_runtime_of(settings, keyring, sim, ManualClock(START))
    account = await _funded_account(rt, sim, "main")
    services = TickServices(rt.db, rt.clock, rt.gateways, rt.predictions, history_bars=650)
    yield Desk(rt, services, account, sim)
    await rt.close()


@pytest.fixture
async def trained_desk(desk: Desk, tmp_path: Path) -> Desk:
    await _train_champion(desk.runtime, desk.services, tmp_path)
    return desk


async def _train_champion(rt: Runtime, services: TickServices, tmp_path: Path) -> None:
    """A small real model trained on the venue's own stored candles, made champion."""
    gateway = await rt.gateways.for_market_data("binance")
    frames = {}
    for symbol in UNIVERSE:
        series = SeriesKey("binance", symbol, "1m")
        await _fetch_new_candles(services, GatewayCandleFetcher(gateway), series, START)
        async with rt.db.session() as session:
            frames[symbol] = (await read_candles(session, series)).astype(float)
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 20}
    config = TrainingConfig(
        timeframe="1m", horizon=5, folds=2, num_boost_round=15, top_k=1, params=params
    )
    save_artifact(train_walk_forward(frames, config), tmp_path / "model")
    operator = Actor("operator-1", "127.0.0.1")
    async with rt.db.transaction() as session:
        version = await registry.register_version(
            session, rt.clock, artifact_dir=tmp_path / "model", actor=operator
        )
        await registry.promote(
            session, rt.clock, version.id, to=ModelState.CHAMPION, actor=operator
        )


async def _running_bot(desk: Desk, account_id: str | None = None) -> str:
    spec = BotCreate(
        name="tick-test",
        account_id=account_id or desk.account.id,
        universe=UNIVERSE,
        quote_asset="USDT",
        budget=Decimal("20000"),
        timeframe="1m",
        allocation=AllocationIn(top_k=2, max_weight=Decimal("0.5"), min_score=-1.0),
    )
    async with desk.runtime.db.transaction() as session:
        bot = await bots.create_bot(
            session, desk.runtime.clock, actor=Actor.system(), user_id="u-tick", spec=spec
        )
        await bots.change_status(
            session, desk.runtime.clock, actor=Actor.system(), bot=bot, command="start"
        )
    return bot.id


async def _api_key(desk: Desk) -> str:
    from botfolio.exchanges.accounts import decrypt_credentials

    return decrypt_credentials(desk.runtime.cipher, desk.account).api_key


async def _orders(desk: Desk) -> list[Order]:
    async with desk.runtime.db.session() as session:
        return list(
            (await session.execute(select(Order).order_by(Order.client_order_id))).scalars()
        )


async def test_tick_writes_orders_that_fill_and_a_second_run_adds_none(
    trained_desk: Desk,
) -> None:
    desk = trained_desk
    bot_id = await _running_bot(desk)

    first = await run_tick(desk.services, bot_id, START)

    assert first.traded and first.skipped is None and first.model_version
    orders = await _orders(desk)
    assert {o.symbol for o in orders} == set(UNIVERSE)
    assert {o.status for o in orders} == {OrderStatus.NEW.value}  # written, not yet sent
    submitter = OrderSubmitter(desk.runtime.db, desk.runtime.gateways, desk.runtime.clock)
    for order in orders:
        assert await submitter.submit(order.id) is OrderStatus.FILLED

    again = await run_tick(desk.services, bot_id, START)  # a retried job, a failover

    assert again.skipped == "this tick already ran" and again.orders == []
    assert len(await _orders(desk)) == len(orders)
    venue_orders = await desk.sim.control("binance").orders(await _api_key(desk))
    assert sorted(o["client_order_id"] for o in venue_orders) == [o.client_order_id for o in orders]


async def test_tick_when_no_model_can_serve_holds_without_orders(desk: Desk) -> None:
    bot_id = await _running_bot(desk)  # the registry has no champion: nothing can serve

    outcome = await run_tick(desk.services, bot_id, START)

    assert not outcome.traded
    assert outcome.skipped is not None and outcome.skipped.startswith("predictions pending")
    assert await _orders(desk) == []


async def test_tick_when_bot_paused_does_nothing(trained_desk: Desk) -> None:
    desk = trained_desk
    bot_id = await _running_bot(desk)
    async with desk.runtime.db.transaction() as session:
        bot = await bots.get_owned_bot(session, bot_id, "u-tick")
        await bots.change_status(
            session, desk.runtime.clock, actor=Actor.system(), bot=bot, command="pause"
        )

    outcome = await run_tick(desk.services, bot_id, START)

    assert outcome.skipped == "bot is not running"
    assert await _orders(desk) == []


async def test_tick_when_predictor_process_is_down_holds_and_queues_once(desk: Desk) -> None:
    """The predictor role unreachable (nothing listens on its port): the request is queued as a
    durable job, the bot holds, and a second tick of the same boundary queues nothing more."""
    import socket

    from botfolio.jobs.models import Job
    from botfolio.predictions.client import PredictorClient
    from botfolio.predictions.requests import PredictionService

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    client = PredictorClient(f"http://127.0.0.1:{dead_port}", timeout_seconds=0.5, attempts=2)
    predictions = PredictionService(desk.runtime.db, desk.runtime.clock, client)
    services = TickServices(
        desk.runtime.db, desk.runtime.clock, desk.runtime.gateways, predictions, history_bars=650
    )
    bot_id = await _running_bot(desk)
    try:
        first = await run_tick(services, bot_id, START)
        second = await run_tick(services, bot_id, START)
    finally:
        await client.aclose()

    assert first.skipped is not None and first.skipped.startswith("predictions pending")
    assert second.skipped is not None and second.skipped.startswith("predictions pending")
    assert await _orders(desk) == []
    async with desk.runtime.db.session() as session:
        queued = list(
            (await session.execute(select(Job).where(Job.kind.like("predictions.%")))).scalars()
        )
    assert len(queued) == 1


async def _funded_account(rt: Runtime, sim: RunningSimulator, label: str) -> ExchangeAccount:
    """A fresh venue account holding only USDT, linked for user u-tick."""
    async with sim.control("binance") as control:
        fresh = await control.create_account({"USDT": Decimal("20000")})
    return await link_account(
        rt,
        user_id="u-tick",
        venue="binance",
        api_key=fresh["api_key"],
        secret=fresh["secret"],
        label=label,
    )


async def test_tick_jobs_when_one_worker_runs_two_bots_share_the_series_check_and_fill(
    trained_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The production path: `bot.tick` jobs and the `orders.submit` jobs they write, run by one
    worker; bots ticking the same boundary refresh and check each series once between them."""
    desk, checked = trained_desk, []
    real_check = tick_module._check_series

    async def counted(services: TickServices, series: SeriesKey, tick_at: datetime) -> Any:
        checked.append(series.symbol)
        return await real_check(services, series, tick_at)

    monkeypatch.setattr(tick_module, "_check_series", counted)
    bot_ids = [
        await _running_bot(desk),
        await _running_bot(desk, (await _funded_account(desk.runtime, desk.sim, "second")).id),
    ]
    registry = JobRegistry()
    bot_tasks.register_jobs(registry, desk.runtime)
    order_tasks.register_jobs(registry, desk.runtime)
    async with desk.runtime.db.transaction() as session:
        for bot_id in bot_ids:
            payload = {"bot_id": bot_id, "tick_at": START.isoformat()}
            await enqueue(session, bot_tasks.TICK_JOB, payload, clock=desk.runtime.clock)

    worker = Worker(desk.runtime.db, registry, desk.runtime.settings.jobs, desk.runtime.clock)
    await worker.run_until_idle()

    assert sorted(checked) == sorted(UNIVERSE)  # once per series, not once per bot
    orders = await _orders(desk)
    assert {o.bot_id for o in orders} == set(bot_ids)
    assert {o.status for o in orders} == {OrderStatus.FILLED.value}
