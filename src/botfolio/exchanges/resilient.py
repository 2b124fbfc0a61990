"""Resilience around one venue account: rate limits, a shared circuit breaker, retried reads.

Reads (markets, candles, tickers, balances, order look-ups) are safe to repeat, so they retry with
exponential backoff and jitter (tenacity). Order placement is never retried here: one request, one
outcome; the submitter owns what happens next. Every call feeds the venue's breaker.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from botfolio.exchanges.breaker import BreakerOpenError, CircuitBreaker
from botfolio.exchanges.errors import (
    CredentialsRejectedError,
    OrderOutcomeUnknownError,
    VenueUnavailableError,
)
from botfolio.exchanges.port import (
    Balance,
    Candle,
    ClientOrderId,
    ExchangeGateway,
    Fill,
    Market,
    OrderReport,
    SubmitOrder,
    Ticker,
)
from botfolio.exchanges.ratelimit import RATE_LIMIT_WAIT_SECONDS, RATE_LIMIT_WAITS, RateLimiter

T = TypeVar("T")

EXCHANGE_REQUEST_SECONDS = Histogram(
    "botfolio_exchange_request_duration_seconds",
    "Latency of calls to a venue, by venue and operation.",
    ["venue", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EXCHANGE_ERRORS = Counter(
    "botfolio_exchange_errors_total",
    "Errors from venues, by venue, operation and error code.",
    ["venue", "operation", "error"],
)


class ResilientGateway:
    """Wraps any ExchangeGateway; itself an ExchangeGateway."""

    def __init__(
        self,
        inner: ExchangeGateway,
        breaker: CircuitBreaker,
        limiter: RateLimiter,
        *,
        api_key_id: str,
        read_attempts: int = 3,
        read_max_wait: float = 2.0,
    ) -> None:
        self._inner = inner
        self._breaker = breaker
        self._limiter = limiter
        self._key_id = api_key_id
        self._read_attempts = read_attempts
        self._read_max_wait = read_max_wait
        self.venue = inner.venue
        self.capabilities = inner.capabilities
        # Per call these would be string formatting and metric-label lookups under a lock; they
        # never change for this gateway, so they are resolved once.
        self._limiter_keys = (f"venue:{self.venue}", f"key:{self.venue}:{api_key_id}")
        self._wait_seconds = RATE_LIMIT_WAIT_SECONDS.labels(self.venue)
        self._waits = RATE_LIMIT_WAITS.labels(self.venue)
        self._request_seconds: dict[str, Any] = {}

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    async def load_markets(self) -> dict[str, Market]:
        return await self._read("load_markets", self._inner.load_markets)

    async def fetch_candles(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]:
        return await self._read(
            "fetch_candles", lambda: self._inner.fetch_candles(symbol, timeframe, since, limit)
        )

    async def fetch_ticker(self, symbol: str) -> Ticker:
        return await self._read("fetch_ticker", lambda: self._inner.fetch_ticker(symbol))

    async def fetch_balances(self) -> dict[str, Balance]:
        return await self._read("fetch_balances", self._inner.fetch_balances)

    async def fetch_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        return await self._read(
            "fetch_order", lambda: self._inner.fetch_order(client_order_id, symbol)
        )

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]:
        return await self._read("fetch_open_orders", lambda: self._inner.fetch_open_orders(symbol))

    async def fetch_my_trades(
        self, symbol: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Fill]:
        return await self._read(
            "fetch_my_trades", lambda: self._inner.fetch_my_trades(symbol, since, limit)
        )

    async def create_order(self, command: SubmitOrder) -> OrderReport:
        return await self._once("create_order", lambda: self._inner.create_order(command))

    async def cancel_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport:
        return await self._once(
            "cancel_order", lambda: self._inner.cancel_order(client_order_id, symbol)
        )

    async def close(self) -> None:
        await self._inner.close()

    async def _read(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._read_attempts),
            wait=wait_exponential_jitter(multiplier=0.05, max=self._read_max_wait),
            retry=retry_if_exception(_worth_retrying),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(operation, call)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def _once(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        await self._breaker.before_call()
        await self._wait_for_token()
        started = time.perf_counter()
        try:
            result = await call()
        except (VenueUnavailableError, OrderOutcomeUnknownError) as exc:
            EXCHANGE_ERRORS.labels(self.venue, operation, exc.code).inc()
            await self._breaker.on_failure(exc.message)
            raise
        except CredentialsRejectedError as exc:
            EXCHANGE_ERRORS.labels(self.venue, operation, exc.code).inc()
            raise
        except Exception as exc:
            # The venue answered (a rejection, a not-found): it is up.
            EXCHANGE_ERRORS.labels(self.venue, operation, getattr(exc, "code", "other")).inc()
            await self._breaker.on_success()
            raise
        finally:
            self._request_histogram(operation).observe(time.perf_counter() - started)
        await self._breaker.on_success()
        return result

    def _request_histogram(self, operation: str) -> Any:
        child = self._request_seconds.get(operation)
        if child is None:
            child = self._request_seconds[operation] = EXCHANGE_REQUEST_SECONDS.labels(
                self.venue, operation
            )
        return child

    async def _wait_for_token(self) -> None:
        for key in self._limiter_keys:
            waited = await self._limiter.acquire(key)
            self._wait_seconds.observe(waited)
            if waited > 0:
                self._waits.inc()


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, VenueUnavailableError) and not isinstance(exc, BreakerOpenError)
