"""Which driver errors mean "the database is unreachable" (503, retry) and which do not."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from botfolio.errors import DatabaseUnavailableError
from botfolio.ops.db_errors import as_database_unavailable, is_database_unavailable


def _wrapped(orig: Exception, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432)"),
        TimeoutError(),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.InterfaceError("connection is closed"),
        _wrapped(sqlite3.OperationalError("unable to open database file")),
        _wrapped(sqlite3.OperationalError("database is locked")),
        _wrapped(Exception("server closed the connection"), invalidated=True),
        sa_exc.TimeoutError("QueuePool limit reached"),
    ],
)
def test_is_database_unavailable_when_connection_failed_is_true(error: Exception) -> None:
    assert is_database_unavailable(error)


def test_is_database_unavailable_when_cause_chain_holds_connection_error_is_true() -> None:
    outer = RuntimeError("while loading")
    outer.__cause__ = ConnectionResetError()

    assert is_database_unavailable(outer)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad value"),
        FileNotFoundError("model.txt"),
        sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
        _wrapped(sqlite3.OperationalError("no such table: users")),
        asyncpg.exceptions.InterfaceError(
            "cannot perform operation: another operation is in progress"
        ),
    ],
)
def test_is_database_unavailable_when_statement_or_bug_is_false(error: Exception) -> None:
    assert not is_database_unavailable(error)


def test_as_database_unavailable_when_refused_carries_no_driver_text() -> None:
    translated = as_database_unavailable(ConnectionRefusedError("db.internal:5432 refused"))

    assert isinstance(translated, DatabaseUnavailableError)
    assert translated.code == "database_unavailable"
    assert "db.internal" not in translated.message
