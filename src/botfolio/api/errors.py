"""Errors in one JSON shape: {"error": {"code", "message", "request_id", "details"}}.

The only place where the error taxonomy becomes HTTP status codes. Database connection failures
are translated here too (503 `database_unavailable`), whatever driver raised them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from botfolio import errors
from botfolio.logs import get_logger
from botfolio.ops.db_errors import as_database_unavailable

log = get_logger(__name__)

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
CODE_BY_HTTP_STATUS = {
    400: "bad_request",
    401: "authentication_required",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
INTERNAL_ERROR_MESSAGE = "an internal error occurred; it has been logged"
RETRY_AFTER_SECONDS = "5"


def status_for(exc: errors.BotfolioError) -> int:
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def error_payload(
    request_id: str | None, code: str, message: str, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "request_id": request_id,
            "details": details or {},
        }
    }


def error_body(request: Request, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return error_payload(getattr(request.state, "request_id", None), code, message, details)


def botfolio_error_response(request_id: str | None, exc: errors.BotfolioError) -> JSONResponse:
    status = status_for(exc)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return JSONResponse(
        error_payload(request_id, exc.code, exc.message, exc.details),
        status_code=status,
        headers=headers,
    )


def unexpected_error_response(request_id: str | None, exc: BaseException) -> JSONResponse:
    """A 503 for a lost database, else a 500 that says nothing about the internals."""
    unavailable = as_database_unavailable(exc)
    if unavailable is not None:
        return botfolio_error_response(request_id, unavailable)
    return JSONResponse(
        error_payload(request_id, "internal_error", INTERNAL_ERROR_MESSAGE), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.BotfolioError)
    async def _botfolio(request: Request, exc: errors.BotfolioError) -> JSONResponse:
        return botfolio_error_response(getattr(request.state, "request_id", None), exc)

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
        code = CODE_BY_HTTP_STATUS.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(request, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    for error_type in (DBAPIError, PoolTimeoutError, OSError):
        app.add_exception_handler(error_type, _database_failure)


async def _database_failure(request: Request, exc: Exception) -> JSONResponse:
    """Driver errors that escaped a handler: 503 when the connection failed, else a logged 500."""
    request_id = getattr(request.state, "request_id", None)
    response = unexpected_error_response(request_id, exc)
    if response.status_code == 503:
        log.warning("database.unavailable", error_type=type(exc).__name__)
    else:
        log.error("http.unhandled_error", exc_info=exc)
    return response
