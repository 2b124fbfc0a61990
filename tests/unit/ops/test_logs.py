"""Log hygiene: secrets never reach a log line, whatever key or URL carries them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from botfolio.logs import REDACTED, configure_logging, get_logger, mask_url_passwords


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging("INFO", stream=buffer)
    yield buffer
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)


def test_mask_url_passwords_when_url_has_password_masks_it() -> None:
    masked = mask_url_passwords("connect to postgresql+asyncpg://bot:s3cr3t@db:5432/app failed")

    assert masked == f"connect to postgresql+asyncpg://bot:{REDACTED}@db:5432/app failed"


def test_mask_url_passwords_when_no_password_leaves_text() -> None:
    assert mask_url_passwords("sqlite+aiosqlite:///./var/botfolio.db") == (
        "sqlite+aiosqlite:///./var/botfolio.db"
    )


def test_log_line_when_fields_look_secret_redacts_them(stream: io.StringIO) -> None:
    get_logger("test").info(
        "user.login",
        password="hunter2",
        totp_code="123456",
        api_secret="xyz",
        status_code=401,
        url="postgresql://u:pw@h/db",
    )

    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["password"] == REDACTED
    assert line["totp_code"] == REDACTED
    assert line["api_secret"] == REDACTED
    assert line["status_code"] == 401
    assert line["url"] == f"postgresql://u:{REDACTED}@h/db"


def test_log_line_when_request_id_bound_carries_it(stream: io.StringIO) -> None:
    with structlog.contextvars.bound_contextvars(request_id="rid-12345678"):
        get_logger("test").info("thing.happened")

    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "rid-12345678"
    assert line["event"] == "thing.happened"
    assert line["level"] == "info"


def test_stdlib_log_line_when_foreign_library_logs_is_json_too(stream: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").warning("port busy")

    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["event"] == "port busy"
    assert line["logger"] == "uvicorn.error"
