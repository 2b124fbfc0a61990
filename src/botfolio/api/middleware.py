"""Pure-ASGI middleware: request id and security headers, and the request body size limit.

Pure ASGI (not BaseHTTPMiddleware) so that streamed responses pass through untouched and
contextvars bound here are seen by the handlers. The order is set in `api/app.py`.
"""

from __future__ import annotations

import re
import uuid

import structlog
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from botfolio.api.errors import error_payload
from botfolio.logs import get_logger

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
BASE_SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
)

log = get_logger(__name__)


def accepted_request_id(incoming: str | None) -> str:
    """Keep a caller's id when it is safe to log and echo back; otherwise mint a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def security_headers(scheme: str, hsts_max_age_seconds: int) -> list[tuple[str, str]]:
    headers = list(BASE_SECURITY_HEADERS)
    if scheme == "https" and hsts_max_age_seconds > 0:
        headers.append(
            ("strict-transport-security", f"max-age={hsts_max_age_seconds}; includeSubDomains")
        )
    return headers


def request_id_of(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


class RequestContextMiddleware:
    """Outermost: every response, errors included, carries the request id and security headers.

    The id is bound into structlog's contextvars, so every log line of the request carries it.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age_seconds: int) -> None:
        self.app = app
        self.hsts_max_age_seconds = hsts_max_age_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        extra = [
            (REQUEST_ID_HEADER, request_id),
            *security_headers(scope.get("scheme", "http"), self.hsts_max_age_seconds),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    headers[name] = value
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_headers)


class PayloadTooLargeError(HTTPException):
    """Raised from `receive` once a body without (or lying about) Content-Length passes the cap."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"the request body exceeds {limit} bytes")


class BodySizeLimitMiddleware:
    """413 for bodies over the cap, decided from Content-Length or while streaming, never by
    buffering: an oversized body is never read past the limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_body_bytes:
            await self._reject(scope, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLargeError(self.max_body_bytes)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLargeError:
            if started:
                raise
            await self._reject(scope, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        raw = Headers(scope=scope).get("content-length")
        return int(raw) if raw and raw.isdigit() else 0

    async def _reject(self, scope: Scope, send: Send) -> None:
        log.info("http.body_too_large", limit=self.max_body_bytes)
        response = JSONResponse(
            error_payload(
                request_id_of(scope),
                "payload_too_large",
                f"the request body exceeds {self.max_body_bytes} bytes",
            ),
            status_code=413,
            headers={"connection": "close"},
        )

        async def _no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, _no_body, send)
