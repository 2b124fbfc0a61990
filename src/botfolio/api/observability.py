"""Per-request metrics, the `http.request` log line, the access log, and a JSON 500 of last resort.

Runs inside `RequestContextMiddleware` (so the request id is bound) and outside everything else
(so it sees the final status, including errors no handler caught).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botfolio.api.errors import unexpected_error_response
from botfolio.api.middleware import request_id_of
from botfolio.audit.access import record_access
from botfolio.logs import get_logger
from botfolio.ops.metrics import (
    ACCESS_LOG_WRITE_FAILURES,
    HTTP_REQUEST_SECONDS,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_PROGRESS,
)
from botfolio.runtime import Runtime

UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes arrive every few seconds from machines; they are not user access.
NOT_ACCESS_LOGGED_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
ACCESS_LOG_WRITE_TIMEOUT_SECONDS = 5.0
USER_AGENT_MAX_CHARS = 512

log = get_logger(__name__)


@dataclass(frozen=True)
class ServedRequest:
    """What the access log and the metrics need to know about one finished request."""

    request_id: str
    actor_id: str | None
    method: str
    path: str
    route: str | None
    status: int
    latency_ms: float
    source_ip: str | None
    user_agent: str | None


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/bots/{bot_id}`), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def metric_method(method: str) -> str:
    return method if method in KNOWN_METHODS else "OTHER"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        status = 500
        response_started = False

        async def recording_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
            await send(message)

        HTTP_REQUESTS_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, recording_send)
        except Exception as exc:
            if response_started:
                log.error("http.failed_mid_response", exc_info=exc)
            else:
                response = unexpected_error_response(request_id_of(scope), exc)
                _log_unhandled(response.status_code, exc)
                await response(scope, receive, recording_send)
        finally:
            HTTP_REQUESTS_IN_PROGRESS.dec()
        served = _served_request(scope, status, time.perf_counter() - started_at)
        _observe(served)
        if served.route not in NOT_ACCESS_LOGGED_ROUTES:
            await self._write_access_log(served)

    async def _write_access_log(self, served: ServedRequest) -> None:
        """Its own short transaction, after the response: a failure never fails the request."""
        try:
            async with asyncio.timeout(ACCESS_LOG_WRITE_TIMEOUT_SECONDS):
                await _record(self.runtime, served)
        except Exception as exc:
            ACCESS_LOG_WRITE_FAILURES.inc()
            log.error("access_log.write_failed", error_type=type(exc).__name__, route=served.route)


async def _record(runtime: Runtime, served: ServedRequest) -> None:
    async with runtime.db.transaction() as session:
        await record_access(
            session,
            occurred_at=runtime.clock.now(),
            request_id=served.request_id,
            actor_id=served.actor_id,
            method=served.method,
            path=served.path,
            route=served.route,
            status=served.status,
            latency_ms=served.latency_ms,
            source_ip=served.source_ip,
            user_agent=served.user_agent,
        )


def _served_request(scope: Scope, status: int, seconds: float) -> ServedRequest:
    state = scope.get("state") or {}
    client = scope.get("client")
    user_agent = Headers(scope=scope).get("user-agent")
    return ServedRequest(
        request_id=request_id_of(scope) or "",
        actor_id=state.get("actor_id"),
        method=scope["method"],
        path=scope["path"][:1024],
        route=route_template(scope),
        status=status,
        latency_ms=round(seconds * 1000, 3),
        source_ip=client[0] if client else None,
        user_agent=user_agent[:USER_AGENT_MAX_CHARS] if user_agent else None,
    )


def _observe(served: ServedRequest) -> None:
    route = served.route or UNMATCHED_ROUTE
    method = metric_method(served.method)
    HTTP_REQUESTS.labels(route=route, method=method, status=str(served.status)).inc()
    HTTP_REQUEST_SECONDS.labels(route=route, method=method).observe(served.latency_ms / 1000)
    log.info(
        "http.request",
        method=served.method,
        route=route,
        status=served.status,
        latency_ms=served.latency_ms,
    )


def _log_unhandled(status: int, exc: Exception) -> None:
    if status == 503:
        log.warning("database.unavailable", error_type=type(exc).__name__)
    else:
        log.error("http.unhandled_error", exc_info=exc)
