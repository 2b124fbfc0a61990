"""A small async client for the /_sim control API, for tests, the demo and scripts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

from botfolio.exchanges.simulator.control import CONTROL_TOKEN_HEADER


class SimulatorControl:
    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers={CONTROL_TOKEN_HEADER: token}, timeout=10.0
        )

    async def __aenter__(self) -> SimulatorControl:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        params = {k: v for k, v in query.items() if v is not None}
        response = await self._http.request(method, f"/_sim{path}", json=body, params=params)
        response.raise_for_status()
        return response.json()

    async def step(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/clock/step", {"seconds": seconds})
        return result

    async def set_clock(self, moment: datetime) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "/clock/set", {"time": moment.isoformat()}
        )
        return result

    async def set_speed(self, speed: float) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/clock/speed", {"speed": speed})
        return result

    async def set_server_skew(self, skew_ms: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/server-time/skew", {"skew_ms": skew_ms})
        return result

    async def create_account(
        self,
        balances: dict[str, Decimal],
        api_key: str | None = None,
        secret: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "api_key": api_key,
            "secret": secret,
            "balances": {k: str(v) for k, v in balances.items()},
        }
        result: dict[str, Any] = await self._call("POST", "/accounts", body)
        return result

    async def set_balances(self, api_key: str, balances: dict[str, Decimal]) -> dict[str, Any]:
        body = {"balances": {k: str(v) for k, v in balances.items()}}
        result: dict[str, Any] = await self._call("PUT", f"/accounts/{api_key}/balances", body)
        return result

    async def accounts(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/accounts")
        return result

    async def orders(self, api_key: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/orders", api_key=api_key)
        return result

    async def add_fault(self, kind: str, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/faults", {"kind": kind, **spec})
        return result

    async def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._call("GET", "/faults")
        return result

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def reset(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/reset")
        return result
