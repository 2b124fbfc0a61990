"""The demo's market and desk: the exchange simulator on loopback, a first model trained on its
candles, and a demo user with three bots on three linked simulator accounts.

Everything is created once and found again on later runs (the simulator's accounts have fixed
keys and its seeded market replays the same history), so a second `make demo` reuses the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from botfolio.audit.service import Actor
from botfolio.auth import users
from botfolio.auth.context import AuthContext
from botfolio.auth.permissions import Role
from botfolio.bots import service as bots
from botfolio.bots.models import Bot, BotStatus
from botfolio.bots.schemas import AllocationIn, BotCreate
from botfolio.bots.tick import TickServices, _fetch_new_candles
from botfolio.config import Settings, VenueSettings
from botfolio.errors import NotFoundError
from botfolio.exchanges.accounts import Credentials, add_account, list_accounts
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig, VenueConfig
from botfolio.exchanges.simulator.control import AccountSpec
from botfolio.exchanges.simulator.server import RunningSimulator
from botfolio.market.fetch import GatewayCandleFetcher
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.predictions import registry
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.models import ModelState
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)
from botfolio.runtime import Runtime

DEMO_USER_EMAIL = "trader@demo.botfolio.invalid"
VENUE = "binance"
UNIVERSE = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
HISTORY_BARS = 700
OPERATOR = Actor(user_id=None, source_ip=None)


@dataclass(frozen=True)
class DemoBot:
    name: str
    api_key: str
    allocation: AllocationIn


DEMO_BOTS = (
    DemoBot(
        "momentum-top1",
        "demo-key-momentum-000001",
        AllocationIn(top_k=1, max_weight=Decimal("0.9"), min_score=-1.0),
    ),
    DemoBot(
        "balanced-top2",
        "demo-key-balanced-000002",
        AllocationIn(method="score_weighted", top_k=2, max_weight=Decimal("0.6"), min_score=-1.0),
    ),
    DemoBot(
        "cautious-top3",
        "demo-key-cautious-000003",
        AllocationIn(
            top_k=3, max_weight=Decimal("0.3"), cash_buffer=Decimal("0.4"), min_score=-1.0
        ),
    ),
)


def simulator_config(seed: int = 42) -> SimulatorConfig:
    """A market moving in real time (1-minute candles), with fixed demo keys."""
    markets = [
        MarketConfig(symbol="BTC/USDT", start_price=Decimal("60000"), volatility=Decimal("0.002")),
        MarketConfig(symbol="ETH/USDT", start_price=Decimal("3000"), volatility=Decimal("0.003")),
        MarketConfig(symbol="SOL/USDT", start_price=Decimal("150"), volatility=Decimal("0.004")),
    ]
    accounts = [
        AccountSpec(
            api_key=b.api_key, secret=f"{b.api_key}-secret", balances={"USDT": Decimal("10000")}
        )
        for b in DEMO_BOTS
    ]
    return SimulatorConfig(
        seed=seed,
        speed=1.0,
        history_candles=HISTORY_BARS,
        binance=VenueConfig(markets=markets, accounts=accounts),
    )


def demo_settings(settings: Settings, sim: RunningSimulator) -> Settings:
    venues = {
        VENUE: VenueSettings(ccxt_id="binance", base_url=sim.binance_url, requests_per_second=50)
    }
    return settings.model_copy(
        update={"exchanges": settings.exchanges.model_copy(update={"venues": venues})}
    )


async def ensure_demo_user(runtime: Runtime, password: str) -> str:
    ctx = AuthContext.from_runtime(runtime)
    async with runtime.db.transaction() as session:
        try:
            user = await users.find_by_email(session, ctx, DEMO_USER_EMAIL)
        except NotFoundError:
            created = await users.create_user(
                session,
                ctx,
                email=DEMO_USER_EMAIL,
                role=Role.USER,
                password=password,
                actor=OPERATOR,
            )
            user = created.user
        return str(user.id)


async def ensure_champion(runtime: Runtime) -> str:
    """Train a first model on the simulator's own candle history unless a champion exists."""
    async with runtime.db.session() as session:
        snapshot = await registry.serving_snapshot(session)
    if snapshot.champion is not None:
        return str(snapshot.champion.id)
    services = TickServices(
        runtime.db, runtime.clock, runtime.gateways, runtime.predictions, history_bars=HISTORY_BARS
    )
    gateway = await runtime.gateways.for_market_data(VENUE)
    frames = {}
    now = runtime.clock.now()
    for symbol in UNIVERSE:
        series = SeriesKey(VENUE, symbol, "1m")
        await _fetch_new_candles(services, GatewayCandleFetcher(gateway), series, now)
        async with runtime.db.session() as session:
            frames[symbol] = (await read_candles(session, series)).astype(float)
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 20}
    config = TrainingConfig(
        timeframe="1m", horizon=5, folds=2, num_boost_round=40, top_k=1, params=params
    )
    result = train_walk_forward(frames, config)
    directory = runtime.settings.data_dir / "models" / f"demo-{now:%Y%m%dT%H%M%S}"
    save_artifact(result, directory)
    async with runtime.db.transaction() as session:
        version = await registry.register_version(
            session, runtime.clock, artifact_dir=directory, actor=OPERATOR
        )
        await registry.promote(
            session, runtime.clock, version.id, to=ModelState.CHAMPION, actor=OPERATOR
        )
    return str(version.id)


async def ensure_demo_bots(runtime: Runtime, user_id: str) -> list[str]:
    """Three accounts on the simulator, a running bot on each."""
    ids = []
    async with runtime.db.transaction() as session:
        accounts = {a.label: a for a in await list_accounts(session, user_id=user_id)}
        existing = {
            b.name: b
            for b in (await session.execute(select(Bot).where(Bot.user_id == user_id))).scalars()
        }
        for spec in DEMO_BOTS:
            account = accounts.get(spec.name) or await add_account(
                session,
                runtime.clock,
                runtime.cipher,
                actor=OPERATOR,
                user_id=user_id,
                venue=VENUE,
                label=spec.name,
                creds=Credentials(spec.api_key, f"{spec.api_key}-secret"),
            )
            bot = existing.get(spec.name) or await bots.create_bot(
                session,
                runtime.clock,
                actor=OPERATOR,
                user_id=user_id,
                spec=BotCreate(
                    name=spec.name,
                    account_id=account.id,
                    universe=list(UNIVERSE),
                    quote_asset="USDT",
                    budget=Decimal("10000"),
                    timeframe="1m",
                    allocation=spec.allocation,
                ),
            )
            if bot.status == BotStatus.CREATED.value:
                await bots.change_status(
                    session, runtime.clock, actor=OPERATOR, bot=bot, command="start"
                )
            elif bot.status == BotStatus.PAUSED.value:
                await bots.change_status(
                    session, runtime.clock, actor=OPERATOR, bot=bot, command="resume"
                )
            ids.append(bot.id)
    return ids
