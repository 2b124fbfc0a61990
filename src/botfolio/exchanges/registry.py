"""Gateways for accounts and venues, built once per process, sharing one breaker per venue and
one rate limiter; the place where a credentials rejection turns into a stopped account."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.config import ExchangeSettings, VenueSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError
from botfolio.exchanges.accounts import (
    AccountStatus,
    decrypt_credentials,
    get_account,
    mark_credentials_rejected,
)
from botfolio.exchanges.breaker import BreakerState, CircuitBreaker
from botfolio.exchanges.errors import CredentialsRejectedError
from botfolio.exchanges.incidents import record_incident
from botfolio.exchanges.port import ExchangeGateway
from botfolio.exchanges.ratelimit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter
from botfolio.exchanges.resilient import ResilientGateway
from botfolio.logs import get_logger
from botfolio.security.crypto import FieldCipher

log = get_logger(__name__)

AccountListener = Callable[[AsyncSession, str, str], Awaitable[object]]


class GatewayRegistry:
    def __init__(
        self,
        settings: ExchangeSettings,
        db: Database,
        cipher: FieldCipher,
        clock: Clock,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._shared_limiter = limiter
        self._limiters: dict[str, RateLimiter] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._by_account: dict[str, ResilientGateway] = {}
        self._public: dict[str, ResilientGateway] = {}
        # Called inside the transaction that marks (or restores) an account, e.g. to pause bots.
        self.on_credentials_rejected: list[AccountListener] = []
        self.on_credentials_restored: list[AccountListener] = []

    def breaker(self, venue: str) -> CircuitBreaker:
        if venue not in self._breakers:
            self._breakers[venue] = CircuitBreaker(
                venue,
                self._clock,
                failure_threshold=self._settings.breaker_failure_threshold,
                reset_after=timedelta(seconds=self._settings.breaker_reset_seconds),
                listener=self._on_breaker_change,
            )
        return self._breakers[venue]

    async def for_account(self, account_id: str) -> ExchangeGateway:
        cached = self._by_account.get(account_id)
        if cached is not None:
            return cached
        async with self._db.session() as session:
            account = await get_account(session, account_id)
            if account.status != AccountStatus.ACTIVE.value:
                raise CredentialsRejectedError(
                    f"account {account_id} is {account.status}: {account.status_reason or ''}"
                )
            creds = decrypt_credentials(self._cipher, account)
            venue = account.venue
        gateway = self._wrap(venue, creds.api_key, creds.secret, key_id=account_id)
        raced = self._by_account.setdefault(account_id, gateway)
        if raced is not gateway:  # another task built one meanwhile: keep one, close ours
            await gateway.close()
        return raced

    async def for_market_data(self, venue: str) -> ExchangeGateway:
        """An unauthenticated gateway for public market data."""
        if venue not in self._public:
            self._public[venue] = self._wrap(venue, "", "", key_id="public")
        return self._public[venue]  # built without awaiting: no other task can race here

    async def credentials_rejected(self, account_id: str, reason: str) -> None:
        await self.forget(account_id)
        async with self._db.transaction() as session:
            account = await get_account(session, account_id)
            changed = await mark_credentials_rejected(session, self._clock, account, reason)
            if changed:
                for listener in self.on_credentials_rejected:
                    await listener(session, account_id, reason)
        if changed:
            log.warning("exchange.credentials_rejected", account_id=account_id, venue=account.venue)

    async def credentials_restored(self, session: AsyncSession, account_id: str) -> None:
        """After a re-link (in the caller's transaction): drop the old gateway, tell listeners."""
        await self.forget(account_id)
        for listener in self.on_credentials_restored:
            await listener(session, account_id, "re-linked")

    async def forget(self, account_id: str) -> None:
        """Drop a cached gateway (after re-link or rejection) so the next use rebuilds it."""
        gateway = self._by_account.pop(account_id, None)
        if gateway is not None:
            await gateway.close()

    async def close(self) -> None:
        for gateway in [*self._by_account.values(), *self._public.values()]:
            await gateway.close()
        self._by_account.clear()
        self._public.clear()
        for limiter in self._limiters.values():
            closer = getattr(limiter, "close", None)
            if closer is not None:
                await closer()
        self._limiters.clear()

    def _wrap(self, venue: str, api_key: str, secret: str, *, key_id: str) -> ResilientGateway:
        venue_settings = self._settings.venues.get(venue)
        if venue_settings is None:
            raise ConfigurationError(f"venue {venue!r} is not configured")
        inner = _ccxt_gateway(venue_settings, api_key, secret, venue, self._clock)
        return ResilientGateway(
            inner,
            self.breaker(venue),
            self._limiter_for(venue),
            api_key_id=key_id,
            read_attempts=self._settings.read_retry_attempts,
            read_max_wait=self._settings.read_retry_max_wait_seconds,
        )

    def _limiter_for(self, venue: str) -> RateLimiter:
        """One bucket set per venue at that venue's rate (keys: the venue, then each API key)."""
        if self._shared_limiter is not None:
            return self._shared_limiter
        if venue not in self._limiters:
            rate = self._settings.venues[venue].requests_per_second
            self._limiters[venue] = (
                RedisRateLimiter(self._settings.redis_url, rate)
                if self._settings.redis_url
                else InMemoryRateLimiter(rate)
            )
        return self._limiters[venue]

    async def _on_breaker_change(
        self, venue: str, old: BreakerState, new: BreakerState, reason: str
    ) -> None:
        log.warning("exchange.breaker_changed", venue=venue, old=old.value, new=new.value)
        async with self._db.transaction() as session:
            await record_incident(
                session,
                self._clock,
                venue=venue,
                kind=f"breaker_{new.value}",
                message=reason[:500],
                details={"from": old.value, "to": new.value},
            )
            await record_event(
                session,
                self._clock,
                actor=Actor.system(),
                action=f"exchange.breaker_{new.value}",
                target_type="venue",
                target_id=venue,
                details={"from": old.value, "reason": reason[:200]},
            )


def _ccxt_gateway(
    venue_settings: VenueSettings, api_key: str, secret: str, venue: str, clock: Clock
) -> ExchangeGateway:
    """CCXT is imported on first use: it takes seconds, and most commands never reach a venue."""
    from botfolio.exchanges.ccxt_factory import build_ccxt_exchange
    from botfolio.exchanges.ccxt_gateway import CcxtGateway

    exchange = build_ccxt_exchange(venue_settings, api_key, secret)
    return CcxtGateway(exchange, venue=venue, clock=clock)


async def check_credentials(
    settings: ExchangeSettings, venue: str, api_key: str, secret: str, clock: Clock
) -> float:
    """Call the venue with these credentials (a balance read); return the latency in ms.

    Raises CredentialsRejectedError when the venue refuses them, VenueUnavailableError when it
    cannot be reached. Nothing is stored.
    """
    import time

    venue_settings = settings.venues.get(venue)
    if venue_settings is None:
        raise ConfigurationError(f"venue {venue!r} is not configured")
    gateway = _ccxt_gateway(venue_settings, api_key, secret, venue, clock)
    started = time.perf_counter()
    try:
        await gateway.fetch_balances()
    finally:
        await gateway.close()
    return (time.perf_counter() - started) * 1000
