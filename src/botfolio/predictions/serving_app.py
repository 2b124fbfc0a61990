"""The `botfolio predictor` HTTP app: POST /v1/predict, health, readiness and metrics.

An internal role: it listens on loopback (or a private network behind TLS) for the API and the
workers, and reads candles and the registry from the shared database. Errors use the same JSON
shape as the public API: {"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from botfolio.errors import (
    BotfolioError,
    ConflictError,
    NotFoundError,
    TemporaryError,
    UserError,
    ValidationFailedError,
)
from botfolio.logs import get_logger
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.serving_metrics import PREDICTION_ERRORS
from botfolio.predictions.serving_types import Prediction, PredictRequest

log = get_logger(__name__)


def create_predictor_app(host: EngineHost, *, hot_reload: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        reloader = asyncio.create_task(host.run_reloader(stop)) if hot_reload else None
        try:
            yield
        finally:
            stop.set()
            if reloader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await reloader

    app = FastAPI(title="BotFolio predictor", lifespan=lifespan)
    _install_error_handlers(app, host.family)
    _add_routes(app, host)
    return app


def _install_error_handlers(app: FastAPI, family: str) -> None:
    @app.exception_handler(BotfolioError)
    async def _botfolio_error(_request: Request, exc: BotfolioError) -> JSONResponse:
        status = _status_for(exc)
        if isinstance(exc, TemporaryError):
            PREDICTION_ERRORS.labels(family, "unavailable").inc()
        body: dict[str, Any] = {"code": exc.code, "message": exc.message, "details": {}}
        return JSONResponse({"error": body}, status_code=status)

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
        PREDICTION_ERRORS.labels(family, "database").inc()
        log.warning("prediction.database_error", error=type(exc).__name__)
        body = {"code": "database_unavailable", "message": "the database is unavailable"}
        return JSONResponse({"error": {**body, "details": {}}}, status_code=503)


def _add_routes(app: FastAPI, host: EngineHost) -> None:
    @app.post("/v1/predict", response_model=Prediction)
    async def predict(body: PredictRequest) -> Prediction:
        """Expected returns for the symbols from the latest stored candles."""
        return await host.predict(body)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        await host.ensure_loaded()
        if host.engine.available:
            return JSONResponse({"status": "ready", "revision": host.engine.revision})
        return JSONResponse({"status": "not_ready", "reason": "no model can serve"}, 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _status_for(exc: BotfolioError) -> int:
    if isinstance(exc, TemporaryError):
        return 503
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, ValidationFailedError):
        return 422
    if isinstance(exc, UserError):
        return 400
    return 500
