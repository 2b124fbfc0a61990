"""The FastAPI app factory. Routers stay thin; services hold the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from botfolio import __version__
from botfolio.api.errors import install_error_handlers
from botfolio.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from botfolio.api.observability import ObservabilityMiddleware
from botfolio.runtime import Runtime


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await runtime.close()

    app = FastAPI(title="BotFolio", version=__version__, lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    install_middleware(app, runtime)
    return app


def install_middleware(app: FastAPI, runtime: Runtime) -> None:
    """Outermost first: request id and security headers on every response; then metrics, logs,
    the access log and the JSON 500 of last resort; then the body size limit, nearest the app."""
    api = runtime.settings.api
    # Starlette wraps in reverse order of addition: the last added is the outermost.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=api.max_body_bytes)
    app.add_middleware(ObservabilityMiddleware, runtime=runtime)
    app.add_middleware(RequestContextMiddleware, hsts_max_age_seconds=api.hsts_max_age_seconds)


def _routers() -> list[APIRouter]:
    from botfolio.api import routes

    return routes.all_routers()
