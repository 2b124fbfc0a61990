"""The FastAPI app factory. Routers stay thin; services hold the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from botfolio import __version__
from botfolio.api.errors import install_error_handlers
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
    return app


def _routers() -> list[APIRouter]:
    from botfolio.api import routes

    return routes.all_routers()
