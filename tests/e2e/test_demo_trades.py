"""The demo runs for about a minute: its three bots trade on the simulator through CCXT; then
every position equals the sum of its fills, the venue's orders equal BotFolio's one for one, and
no job is dead-lettered."""

from __future__ import annotations

import socket
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from botfolio.bots.models import Bot
from botfolio.cli import demo
from botfolio.config import Settings
from botfolio.exchanges.simulator.server import RunningSimulator
from botfolio.jobs.models import Job, JobState
from botfolio.orders.models import Order, OrderFill
from botfolio.runtime import Runtime

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
DEMO_SECONDS = 65.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Findings:
    def __init__(self) -> None:
        self.filled = 0
        self.dead_jobs = -1
        self.checked_accounts = 0


async def _check(sim: RunningSimulator, runtime: Runtime, found: Findings) -> None:
    async with runtime.db.session() as session:
        bots = list((await session.execute(select(Bot))).scalars())
        orders = list((await session.execute(select(Order))).scalars())
        fills = list((await session.execute(select(OrderFill))).scalars())
        found.dead_jobs = (
            await session.execute(select(func.count()).where(Job.state == JobState.DEAD.value))
        ).scalar_one()
    found.filled = sum(1 for o in orders if o.status == "filled")
    by_order = {o.id: o for o in orders}
    for bot in bots:
        # Orders the venue saw: not those still NEW (written by the last tick, not yet sent when
        # the demo stopped) nor those the venue refused.
        account_orders = [
            o
            for o in orders
            if o.account_id == bot.account_id and o.status not in ("new", "rejected")
        ]
        api_key = next(s.api_key for s in demo.demo_market.DEMO_BOTS if s.name == bot.name)
        venue_orders = await sim.control("binance").orders(api_key)
        assert sorted(v["client_order_id"] for v in venue_orders) == sorted(
            o.client_order_id for o in account_orders
        ), f"{bot.name}: venue and BotFolio orders differ"
        position: dict[str, Decimal] = defaultdict(Decimal)
        for fill in fills:
            order = by_order[fill.order_id]
            if order.account_id != bot.account_id:
                continue
            base = order.symbol.split("/")[0]
            signed = fill.amount if order.side == "buy" else -fill.amount
            position[base] += signed - (fill.fee if fill.fee_asset == base else 0)
        account = next(a for a in sim.binance.venue.accounts.values() if a.api_key == api_key)
        for base, amount in position.items():
            held = account.balance(base)
            assert held.free + held.locked == amount, f"{bot.name} {base}: venue vs sum of fills"
        found.checked_accounts += 1


async def test_demo_trades_and_its_books_match_the_venue(tmp_path: Path) -> None:
    settings = Settings(
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"},
        data_dir=tmp_path,
        security={"keyring_file": tmp_path / "keyring.json"},
    )
    await demo.migrate.upgrade_async(settings.database.url.get_secret_value())
    found = Findings()

    async def inspect(sim: RunningSimulator, runtime: Runtime) -> None:
        await _check(sim, runtime, found)

    await demo.run(settings, port=_free_port(), duration=DEMO_SECONDS, before_stop=inspect)

    assert found.checked_accounts == 3
    assert found.filled > 0, "the demo bots placed no filled order"
    assert found.dead_jobs == 0
