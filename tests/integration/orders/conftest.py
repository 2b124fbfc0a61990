"""Orders against the real CCXT client and the simulator on loopback, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from botfolio.audit.service import Actor
from botfolio.clock import Clock, SystemClock
from botfolio.config import ExchangeSettings, Settings, VenueSettings
from botfolio.db.database import Database
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import ClientOrderId, OrderSide, OrderType
from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.control_client import SimulatorControl
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.orders.models import Order
from botfolio.orders.reconciliation import Reconciler
from botfolio.orders.service import OrderIntent, place_order_intent
from botfolio.orders.submission import OrderSubmitter, SubmissionPolicy
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with run_simulator(SimulatorConfig(seed=7)) as running:
        yield running


def exchange_settings(sim: RunningSimulator) -> ExchangeSettings:
    return ExchangeSettings(
        venues={
            "binance": VenueSettings(
                ccxt_id="binance",
                base_url=sim.binance_url,
                timeout_ms=1500,
                requests_per_second=1000,
                alternate="upbit",
            ),
            "upbit": VenueSettings(
                ccxt_id="upbit", base_url=sim.upbit_url, timeout_ms=1500, requests_per_second=1000
            ),
        },
        breaker_failure_threshold=3,
        breaker_reset_seconds=0.5,
        read_retry_attempts=2,
        read_retry_max_wait_seconds=0.05,
    )


def venue_runtime_of(
    settings: Settings, keyring: KeyRing, sim: RunningSimulator, clock: Clock | None = None
) -> Runtime:
    """A runtime on the test's database whose venues are the simulator's (close it after)."""
    return Runtime(
        settings=settings.model_copy(update={"exchanges": exchange_settings(sim)}),
        db=Database(settings.database.url.get_secret_value()),
        cipher=FieldCipher(keyring),
        clock=clock or SystemClock(),
    )


async def link_account(
    rt: Runtime, *, user_id: str, venue: str, api_key: str, secret: str, label: str = "main"
) -> ExchangeAccount:
    """Link an exchange account as the system would (keys encrypted, audited), committed."""
    async with rt.db.transaction() as session:
        return await add_account(
            session,
            rt.clock,
            rt.cipher,
            actor=Actor.system(),
            user_id=user_id,
            venue=venue,
            label=label,
            creds=Credentials(api_key, secret),
        )


@pytest.fixture
async def venue_runtime(
    settings: Settings, keyring: KeyRing, sim: RunningSimulator
) -> AsyncIterator[Runtime]:
    rt = venue_runtime_of(settings, keyring, sim)
    yield rt
    await rt.close()


@dataclass
class Venue:
    """One linked Binance-dialect account on the simulator, and the tools to drive orders."""

    runtime: Runtime
    sim: RunningSimulator
    account: ExchangeAccount
    api_key: str
    control: SimulatorControl

    def submitter(self, grace: float = 0.0) -> OrderSubmitter:
        return OrderSubmitter(
            self.runtime.db,
            self.runtime.gateways,
            self.runtime.clock,
            SubmissionPolicy(unknown_grace=timedelta(seconds=grace)),
        )

    def reconciler(self) -> Reconciler:
        return Reconciler(
            self.runtime.db, self.runtime.gateways, self.submitter(), self.runtime.clock
        )

    async def place(
        self,
        client_id: str,
        amount: str = "0.01",
        side: OrderSide = OrderSide.BUY,
        type_: OrderType = OrderType.MARKET,
        price: str | None = None,
    ) -> Order:
        intent = OrderIntent(
            ClientOrderId(client_id),
            "BTC/USDT",
            side,
            type_,
            Decimal(amount),
            Decimal(price) if price else None,
        )
        async with self.runtime.db.transaction() as session:
            order, _ = await place_order_intent(
                session,
                self.runtime.clock,
                account=self.account,
                intent=intent,
                actor=Actor.system(),
            )
        return order

    async def order(self, order_id: str) -> Order:
        async with self.runtime.db.session() as session:
            row = await session.get(Order, order_id)
            assert row is not None
            return row

    async def venue_orders(self) -> list[dict[str, Any]]:
        return await self.control.orders(self.api_key)


@pytest.fixture
async def venue(venue_runtime: Runtime, sim: RunningSimulator) -> AsyncIterator[Venue]:
    cred = next(c for c in sim.credentials() if c.venue == "binance")
    account = await link_account(
        venue_runtime, user_id="user-1", venue="binance", api_key=cred.api_key, secret=cred.secret
    )
    async with sim.control("binance") as control:
        yield Venue(venue_runtime, sim, account, cred.api_key, control)
