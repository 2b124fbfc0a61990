"""Order submission through BotFolio's gateway (persist the intent, submit, record the outcome)
against raw `ccxt.create_order` to the same simulator, in the same run.

Both sides place the same resting limit orders on the simulator over loopback with the real CCXT
client. BotFolio's side is the full spine: intent + audit event + submit job committed, the order
claimed as SUBMITTING (committed), sent through the resilient gateway (breaker, rate limiter),
and the venue's answer recorded. Prints median and p99 per order, the ratios and our overhead
per order (ours minus raw), per database, with the simulator answering at once and with 20 ms of
added venue latency (both sides alike).
Tune with BENCH_ORDERS (default 200) and BOTFOLIO_BENCH_PG_DSN.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import asyncpg

from botfolio.audit.service import Actor
from botfolio.clock import SystemClock
from botfolio.config import ExchangeSettings, Settings, VenueSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.exchanges.ccxt_factory import build_ccxt_exchange
from botfolio.exchanges.port import ClientOrderId, OrderSide, OrderType
from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.logs import configure_logging
from botfolio.orders.service import OrderIntent, place_order_intent
from botfolio.orders.submission import OrderSubmitter
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

COUNT = int(os.environ.get("BENCH_ORDERS", "200"))
PG_DSN = os.environ.get("BOTFOLIO_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# 0: the simulator on loopback answers in ~1 ms, so only our own overhead shows; 20: a venue as
# near as a co-located one (real venues answer in 20-200 ms), where that overhead is diluted.
VENUE_LATENCIES_MS = (0, 20)
SYMBOL, AMOUNT, PRICE = "BTC/USDT", Decimal("0.01"), Decimal("1000")


def _venues(sim: RunningSimulator) -> ExchangeSettings:
    return ExchangeSettings(
        venues={
            "binance": VenueSettings(
                ccxt_id="binance", base_url=sim.binance_url, requests_per_second=100_000
            )
        }
    )


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _raw(sim: RunningSimulator, api_key: str, secret: str) -> list[float]:
    exchange = build_ccxt_exchange(_venues(sim).venues["binance"], api_key, secret)
    await exchange.load_markets()
    samples = []
    try:
        for i in range(COUNT):
            started = time.perf_counter()
            await exchange.create_order(
                SYMBOL, "limit", "buy", str(AMOUNT), str(PRICE), {"clientOrderId": f"raw-{i}"}
            )
            samples.append(time.perf_counter() - started)
    finally:
        await exchange.close()
    return samples


async def _ours(runtime: Runtime, sim: RunningSimulator, api_key: str, secret: str) -> list[float]:
    async with runtime.db.transaction() as session:
        account = await add_account(
            session,
            runtime.clock,
            runtime.cipher,
            actor=Actor.system(),
            user_id="bench",
            venue="binance",
            label="bench",
            creds=Credentials(api_key, secret),
        )
    submitter = OrderSubmitter(runtime.db, runtime.gateways, runtime.clock)
    await (await runtime.gateways.for_account(account.id)).load_markets()
    samples = []
    for i in range(COUNT):
        intent = OrderIntent(
            ClientOrderId(f"ours-{i}"), SYMBOL, OrderSide.BUY, OrderType.LIMIT, AMOUNT, PRICE
        )
        started = time.perf_counter()
        async with runtime.db.transaction() as session:
            order, _ = await place_order_intent(
                session, runtime.clock, account=account, intent=intent, actor=Actor.system()
            )
        await submitter.submit(order.id)
        samples.append(time.perf_counter() - started)
    return samples


async def _one_database(name: str, url: str, data_dir: Path, venue_latency_ms: int) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    async with run_simulator(SimulatorConfig(seed=5)) as sim:
        control = sim.control("binance")
        raw_acct = await control.create_account({"USDT": Decimal("1000000")})
        our_acct = await control.create_account({"USDT": Decimal("1000000")})
        if venue_latency_ms:
            await control.add_fault(
                "latency", path="/api/v3/order", method="POST", latency_ms=venue_latency_ms
            )
        await control.aclose()
        settings = Settings(
            database={"url": url},
            data_dir=data_dir,
            exchanges=_venues(sim),
            security={"keyring_file": data_dir / "keyring.json"},
        )
        runtime = Runtime(
            settings=settings,
            db=Database(url),
            cipher=FieldCipher(KeyRing.generate()),
            clock=SystemClock(),
        )
        try:
            raw = await _raw(sim, raw_acct["api_key"], raw_acct["secret"])
            ours = await _ours(runtime, sim, our_acct["api_key"], our_acct["secret"])
        finally:
            await runtime.close()
    (raw_med, raw_p99), (our_med, our_p99) = _stats(raw), _stats(ours)
    print(
        f"{name:10s} venue +{venue_latency_ms:>2d} ms  orders={COUNT}"
        f"  raw ccxt: median {raw_med * 1000:.2f} ms, p99 {raw_p99 * 1000:.2f} ms"
        f"  |  BotFolio: median {our_med * 1000:.2f} ms, p99 {our_p99 * 1000:.2f} ms"
        f"  |  ratio median {our_med / raw_med:.2f}x, p99 {our_p99 / raw_p99:.2f}x"
        f"  |  overhead per order median {(our_med - raw_med) * 1000:.2f} ms,"
        f" p99 {(our_p99 - raw_p99) * 1000:.2f} ms",
        flush=True,
    )


async def _main() -> None:
    configure_logging("WARNING")
    for latency in VENUE_LATENCIES_MS:
        await _both_databases(latency)


async def _both_databases(latency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await _one_database("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), latency)
        name = f"botfolio_bench_{secrets.token_hex(3)}"
        admin = await asyncpg.connect(PG_DSN)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        try:
            await _one_database("postgresql", f"{base}/{name}", Path(tmp), latency)
        finally:
            admin = await asyncpg.connect(PG_DSN)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
