"""Assembles the Binance-dialect ASGI app: public and signed routes, control API, fault layer."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from botfolio.exchanges.simulator.binance.errors import (
    BinanceError,
    from_rejection,
    invalid_api_key,
)
from botfolio.exchanges.simulator.binance.private import private_router
from botfolio.exchanges.simulator.binance.public import public_router
from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.control import control_router
from botfolio.exchanges.simulator.fault_middleware import FaultInjectionMiddleware
from botfolio.exchanges.simulator.rejections import VenueRejection

_PLAIN_ERRORS = {500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout"}


class BinanceFaultResponses:
    """Bodies as Binance sends them: -1003 for 429/418, plain text from the edge for 5xx."""

    def api_key_of(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"x-mbx-apikey":
                return str(value.decode("latin-1"))
        return None

    def error(self, status: int) -> Response:
        if status == 429:
            return _json(
                429,
                -1003,
                "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. "
                "Please use WebSocket Streams for live updates to avoid polling the API.",
                headers={"Retry-After": "1"},
            )
        if status == 418:
            banned_until = int(time.time() * 1000) + 120_000
            return _json(
                418,
                -1003,
                f"Way too many requests; IP(127.0.0.1) banned until {banned_until}. "
                "Please use WebSocket Streams for live updates to avoid bans.",
                headers={"Retry-After": "120"},
            )
        return PlainTextResponse(_PLAIN_ERRORS.get(status, "Error"), status_code=status)

    def lost_response_timeout(self) -> Response:
        return _json(
            504,
            -1007,
            "Timeout waiting for response from backend server. "
            "Send status unknown; execution status unknown.",
        )

    def expired_credentials(self) -> Response:
        error = invalid_api_key()
        return _json(error.status, error.code, error.msg)


def _json(status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"code": code, "msg": msg}, status_code=status, headers=headers)


def create_binance_app(ctx: VenueContext) -> FastAPI:
    app = FastAPI(title="BotFolio simulator: Binance spot", docs_url=None, redoc_url=None)
    app.include_router(public_router(ctx))
    app.include_router(private_router(ctx))
    app.include_router(control_router(ctx))

    @app.exception_handler(BinanceError)
    async def binance_error(_: Request, exc: BinanceError) -> Response:
        return _json(exc.status, exc.code, exc.msg)

    @app.exception_handler(VenueRejection)
    async def venue_rejection(_: Request, exc: VenueRejection) -> Response:
        error = from_rejection(exc)
        return _json(error.status, error.code, error.msg)

    app.add_middleware(
        FaultInjectionMiddleware,
        book=ctx.faults,
        responses=BinanceFaultResponses(),
        connections=ctx.connections,
    )
    return app
