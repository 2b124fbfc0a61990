"""Structured JSON logs (structlog) with the request id bound per request through contextvars.

structlog renders through the standard `logging` module, so uvicorn's, SQLAlchemy's and Alembic's
lines come out in the same JSON shape and pytest's `caplog` sees every event.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

REDACTED = "**********"
SECRET_KEYS = frozenset(
    {"password", "secret", "token", "api_key", "api_secret", "totp", "code", "authorization"}
)
# Keys that contain a marker above but never hold a secret.
SAFE_KEYS = frozenset({"status_code", "error_code", "exit_code", "code_version"})
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]+:)[^@\s]+@")
_HANDLER_MARK = "_botfolio_handler"
# Client libraries that log full URLs (query strings may carry tokens) at INFO.
QUIETED_LOGGERS = ("httpx", "httpcore")


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return lowered not in SAFE_KEYS and any(part in lowered for part in SECRET_KEYS)


def mask_url_passwords(text: str) -> str:
    """`postgresql://u:pw@h/db` -> `postgresql://u:**********@h/db`: URLs reach logs via errors."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}@", text)


def _drop_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _is_secret_key(key):
            event[key] = REDACTED
        elif isinstance(value, str) and "://" in value:
            event[key] = mask_url_passwords(value)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _drop_secrets,
    ]


def configure_logging(
    level: str = "INFO", *, json_output: bool = True, stream: TextIO | None = None
) -> None:
    """Route structlog and stdlib logging to one handler on the root logger (idempotent)."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own logging config (when something ran it with defaults) stops propagation
        # to the root logger; ours routes every library's lines through the one JSON handler.
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
