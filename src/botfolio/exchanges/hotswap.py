"""HotSwap: while a venue's breaker is open, market data comes from its configured alternate, and
new orders go there only for bots that allow it and whose user has an account there.

Orders already in flight never move: they stay with their venue and reconciliation settles them.
Every switch (and every switch back) is an incident in the failure history.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from botfolio.clock import Clock
from botfolio.config import ExchangeSettings
from botfolio.db.database import Database
from botfolio.exchanges.accounts import AccountStatus
from botfolio.exchanges.breaker import CircuitBreaker
from botfolio.exchanges.errors import VenueUnavailableError
from botfolio.exchanges.incidents import record_incident
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import Candle, ExchangeGateway, Ticker
from botfolio.logs import get_logger

log = get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Sourced(Generic[T]):
    venue: str
    value: T


class MarketDataRouter:
    def __init__(
        self,
        settings: ExchangeSettings,
        breaker_for: Callable[[str], CircuitBreaker],
        gateway_for: Callable[[str], Awaitable[ExchangeGateway]],
        db: Database,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._breaker_for = breaker_for
        self._gateway_for = gateway_for
        self._db = db
        self._clock = clock
        self._swapped: set[str] = set()

    async def fetch_candles(
        self, venue: str, symbol: str, timeframe: str, since: datetime | None, limit: int | None
    ) -> Sourced[list[Candle]]:
        source = await self._source_for(venue)
        gateway = await self._gateway_for(source)
        candles = await gateway.fetch_candles(self._symbol(source, symbol), timeframe, since, limit)
        return Sourced(source, candles)

    async def fetch_ticker(self, venue: str, symbol: str) -> Sourced[Ticker]:
        source = await self._source_for(venue)
        gateway = await self._gateway_for(source)
        return Sourced(source, await gateway.fetch_ticker(self._symbol(source, symbol)))

    async def _source_for(self, venue: str) -> str:
        alternate = self._alternate(venue)
        if self._breaker_for(venue).is_open:
            if alternate is None:
                raise VenueUnavailableError(f"{venue} is unavailable and has no alternate venue")
            if venue not in self._swapped:
                self._swapped.add(venue)
                await self._incident(venue, "hotswap_market_data", f"market data from {alternate}")
            return alternate
        if venue in self._swapped:
            self._swapped.discard(venue)
            await self._incident(venue, "hotswap_restored", f"market data back on {venue}")
        return venue

    def _alternate(self, venue: str) -> str | None:
        settings = self._settings.venues.get(venue)
        return settings.alternate if settings else None

    def _symbol(self, venue: str, symbol: str) -> str:
        settings = self._settings.venues.get(venue)
        return settings.symbol_map.get(symbol, symbol) if settings else symbol

    async def _incident(self, venue: str, kind: str, message: str) -> None:
        log.warning("exchange.hotswap", venue=venue, kind=kind, detail=message)
        async with self._db.transaction() as session:
            await record_incident(session, self._clock, venue=venue, kind=kind, message=message)


@dataclass(frozen=True)
class OrderRoute:
    account_id: str | None
    pause_reason: str | None = None
    swapped: bool = False


def route_new_orders(
    primary: ExchangeAccount,
    user_accounts: Sequence[ExchangeAccount],
    *,
    allow_hotswap: bool,
    breaker_open: Callable[[str], bool],
    alternate_venue: str | None,
) -> OrderRoute:
    """Where a bot's NEW orders go this tick (orders in flight are never moved)."""
    if not breaker_open(primary.venue):
        return OrderRoute(primary.id)
    if not allow_hotswap:
        return OrderRoute(None, f"{primary.venue} unavailable; this bot does not allow HotSwap")
    if alternate_venue is None:
        return OrderRoute(None, f"{primary.venue} unavailable; no alternate venue configured")
    for account in user_accounts:
        if (
            account.venue == alternate_venue
            and account.status == AccountStatus.ACTIVE.value
            and not breaker_open(alternate_venue)
        ):
            return OrderRoute(account.id, swapped=True)
    return OrderRoute(
        None, f"{primary.venue} unavailable; no usable linked account on {alternate_venue}"
    )
