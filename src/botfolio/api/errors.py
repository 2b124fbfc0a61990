"""Errors in one JSON shape: {"error": {"code", "message", "request_id", "details"}}.

The only place where the error taxonomy becomes HTTP status codes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from botfolio import errors

STATUS_BY_ERROR: tuple[tuple[type[errors.BotfolioError], int], ...] = (
    (errors.TwoFactorRequiredError, 403),
    (errors.PermissionDeniedError, 403),
    (errors.AuthenticationRequiredError, 401),
    (errors.InvalidCredentialsError, 401),
    (errors.AccountLockedError, 423),
    (errors.RateLimitedError, 429),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.ValidationFailedError, 422),
    (errors.UserError, 400),
    (errors.TemporaryError, 503),
    (errors.OperationalError, 500),
)


def status_for(exc: errors.BotfolioError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def error_body(request: Request, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "request_id": getattr(request.state, "request_id", None),
            "details": details or {},
        }
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.BotfolioError)
    async def _botfolio(request: Request, exc: errors.BotfolioError) -> JSONResponse:
        return JSONResponse(
            error_body(request, exc.code, exc.message, exc.details), status_code=status_for(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(
            error_body(
                request, "validation_failed", "the request is not valid", {"errors": details}
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(request, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
