"""ASGI middleware that applies the fault book to venue requests (never to /_sim control calls)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botfolio.exchanges.simulator.connections import ConnectionRegistry
from botfolio.exchanges.simulator.faults import FaultBook, FaultKind, FaultSpec

CONTROL_PREFIX = "/_sim"


class DialectFaultResponses(Protocol):
    """How one venue dialect spells each injected failure."""

    def api_key_of(self, scope: Scope) -> str | None: ...

    def error(self, status: int) -> Response: ...

    def lost_response_timeout(self) -> Response: ...

    def expired_credentials(self) -> Response: ...


class FaultInjectionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        book: FaultBook,
        responses: DialectFaultResponses,
        connections: ConnectionRegistry,
    ) -> None:
        self.app = app
        self.book = book
        self.responses = responses
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        api_key = self.responses.api_key_of(scope)
        decision = self.book.decide(scope["method"], scope["path"], api_key)
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        if decision.fault is None:
            await self.app(scope, receive, send)
            return
        await self._inject(decision.fault, scope, receive, send)

    async def _inject(self, fault: FaultSpec, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.kind is FaultKind.HTTP_ERROR:
            await self.responses.error(fault.status or 500)(scope, receive, send)
        elif fault.kind is FaultKind.CREDENTIALS_EXPIRED:
            await self.responses.expired_credentials()(scope, receive, send)
        elif fault.kind is FaultKind.DROP:
            await self.connections.drop(scope)
        elif fault.kind is FaultKind.RESPONSE_LOST:
            await self.app(scope, receive, _discard)
            if fault.lost_as == "504":
                await self.responses.lost_response_timeout()(scope, receive, send)
            else:
                await self.connections.drop(scope)


async def _discard(message: Message) -> None:
    """The venue did the work; its answer goes nowhere."""
