"""Assembles the Upbit-dialect ASGI app: quotation and exchange routes, control API, fault layer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from botfolio.exchanges.simulator.context import VenueContext
from botfolio.exchanges.simulator.control import control_router
from botfolio.exchanges.simulator.fault_middleware import FaultInjectionMiddleware
from botfolio.exchanges.simulator.upbit.auth import unverified_claims
from botfolio.exchanges.simulator.upbit.errors import UpbitError, invalid_access_key
from botfolio.exchanges.simulator.upbit.private import private_router
from botfolio.exchanges.simulator.upbit.public import public_router

_PLAIN_ERRORS = {
    418: "I'm a teapot",
    429: "Too many API requests.",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class UpbitFaultResponses:
    """Upbit's edge answers throttling and outages in plain text; auth errors in its JSON shape."""

    def api_key_of(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                claims = unverified_claims(value.decode("latin-1"))
                return None if claims is None else str(claims.get("access_key"))
        return None

    def error(self, status: int) -> Response:
        headers = {"Retry-After": "1"} if status in (418, 429) else None
        return PlainTextResponse(_PLAIN_ERRORS.get(status, "Error"), status, headers=headers)

    def lost_response_timeout(self) -> Response:
        return PlainTextResponse(_PLAIN_ERRORS[504], 504)

    def expired_credentials(self) -> Response:
        error = invalid_access_key()
        return JSONResponse(error.body(), status_code=error.status)


def create_upbit_app(ctx: VenueContext) -> FastAPI:
    app = FastAPI(title="BotFolio simulator: Upbit", docs_url=None, redoc_url=None)
    app.include_router(public_router(ctx))
    app.include_router(private_router(ctx))
    app.include_router(control_router(ctx))

    @app.exception_handler(UpbitError)
    async def upbit_error(_: Request, exc: UpbitError) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status)

    app.add_middleware(
        FaultInjectionMiddleware,
        book=ctx.faults,
        responses=UpbitFaultResponses(),
        connections=ctx.connections,
    )
    return app
