"""Lets the fault layer drop a client's TCP connection without sending any response.

ASGI has no way to do that, so the HTTP protocol records each connection's transport by the
client address that also appears in the request scope.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.utils import get_remote_addr


class ConnectionRegistry:
    def __init__(self) -> None:
        self._transports: dict[tuple[str, int], asyncio.Transport] = {}

    def protocol_class(self) -> type[H11Protocol]:
        """An h11 protocol bound to this registry, for `uvicorn.Config(http=...)`."""
        registry = self

        class TrackedH11Protocol(H11Protocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                address = get_remote_addr(transport)
                if address is not None:
                    registry._transports[address] = transport

            def connection_lost(self, exc: Exception | None) -> None:
                address = self.client
                if address is not None:
                    registry._transports.pop(address, None)
                super().connection_lost(exc)

        return TrackedH11Protocol

    async def drop(self, scope: MutableMapping[str, Any]) -> None:
        """Abort the connection that carried this request; the client sees no response."""
        client = scope.get("client")
        if client is None:
            return
        transport = self._transports.pop((client[0], int(client[1])), None)
        if transport is not None:
            transport.abort()
        for _ in range(3):
            await asyncio.sleep(0)
