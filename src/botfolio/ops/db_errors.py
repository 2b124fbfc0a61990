"""Recognising "the database is unreachable" among driver errors, so callers can back off.

A lost or refused connection is a `DatabaseUnavailableError` (temporary: answer 503, retry later);
every other database error (a constraint, a bad statement) is a bug or a conflict and stays as is.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from sqlalchemy import exc as sa_exc

from botfolio.errors import DatabaseUnavailableError

_SQLITE_UNAVAILABLE_MESSAGES = ("unable to open database", "database is locked", "disk i/o error")
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_CLOSED_CONNECTION_MESSAGES = (
    "connection is closed",
    "connection was closed",
    "connect call failed",
)


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` (or what it wraps) says the connection failed, not the statement."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_connection_failure(current):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.TimeoutError):  # the pool had no connection to give
        return True
    if isinstance(error, _CONNECTION_ERRORS):
        return True
    if isinstance(error, OSError | asyncpg.exceptions.InterfaceError):
        message = str(error).lower()
        return any(marker in message for marker in _CLOSED_CONNECTION_MESSAGES)
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(marker in message for marker in _SQLITE_UNAVAILABLE_MESSAGES)
    return False


def as_database_unavailable(error: BaseException) -> DatabaseUnavailableError | None:
    """The taxonomy error for a connection failure (no driver text: it may carry the host)."""
    if not is_database_unavailable(error):
        return None
    return DatabaseUnavailableError("the database is unavailable; retry shortly")
