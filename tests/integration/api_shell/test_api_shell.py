"""The API shell over ASGI on both databases: ops endpoints, headers, error shapes, metrics, logs."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import select

from botfolio.audit.access import AccessLogRecord
from botfolio.config import Settings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.jobs.service import enqueue
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

AppFactory = Any

SANE_ID = "req-0123456789abcdef"


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, object] = body["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["request_id"] == response.headers["x-request-id"]
    return error


async def test_healthz_when_alive_answers_without_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_readyz_when_schema_at_head_is_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_when_schema_behind_head_is_503_with_reason(
    tmp_path: Path, keyring: KeyRing, app_factory: type[AppFactory]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'behind.db'}"
    await migrate.upgrade_async(url, "0002")
    runtime = Runtime(
        settings=Settings(database={"url": url}), db=Database(url), cipher=FieldCipher(keyring)
    )
    try:
        async with app_factory.client(runtime) as http:
            response = await http.get("/readyz")
    finally:
        await runtime.close()

    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "reason": "schema_not_at_head"}


async def test_version_when_asked_names_version_and_schema_head(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/version")).json()

    assert body["version"]
    assert body["schema_head"] == migrate.head_revision()
    assert "git_commit" in body


async def test_any_response_when_served_has_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")

    assert len(response.headers["x-request-id"]) >= 8
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers


async def test_request_id_when_caller_sends_a_sane_one_is_echoed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": SANE_ID})

    assert response.headers["x-request-id"] == SANE_ID


async def test_request_id_when_caller_sends_garbage_is_replaced(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id; drop table"})

    assert response.headers["x-request-id"] != "bad id; drop table"
    assert len(response.headers["x-request-id"]) == 32


async def test_hsts_when_served_over_https_is_sent(
    runtime: Runtime, app_factory: type[AppFactory]
) -> None:
    async with app_factory.client(runtime, base_url="https://testserver") as http:
        response = await http.get("/healthz")

    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_unknown_route_when_requested_is_404_in_error_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/no/such/route")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


async def test_wrong_method_when_used_is_405_in_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")

    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


async def test_malformed_json_when_posted_is_422_in_error_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/test/widgets",
        content=b'{"name": "a", "size":',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 422
    assert _error(response)["code"] == "validation_failed"


async def test_strict_body_when_it_has_an_unknown_field_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/widgets", json={"name": "a", "size": 1, "colour": "red"})

    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_failed"
    assert "extra_forbidden" in json.dumps(error["details"])


async def test_strict_body_when_a_number_is_sent_as_text_is_422(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/test/widgets", json={"name": "a", "size": "1"})

    assert response.status_code == 422


async def test_strict_body_when_valid_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/widgets", json={"name": "  a ", "size": 3})

    assert response.status_code == 201
    assert response.json() == {"name": "a", "size": 3}


async def test_body_when_content_length_exceeds_limit_is_413_without_reading(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    limit = runtime.settings.api.max_body_bytes

    response = await client.post(
        "/test/widgets",
        content=b"x" * (limit + 1),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"


async def test_body_when_streamed_past_limit_without_length_is_413(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    limit = runtime.settings.api.max_body_bytes
    sent_chunks = 0

    async def chunks() -> Any:
        nonlocal sent_chunks
        for _ in range(limit // 1024 + 10):
            sent_chunks += 1
            yield b"x" * 1024

    response = await client.post(
        "/test/widgets", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"


async def test_unhandled_error_when_raised_is_500_without_internals(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/test/crash")

    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


async def test_http_metrics_when_templated_route_served_use_the_template(
    client: httpx.AsyncClient,
) -> None:
    labels = {"route": "/test/items/{item_id}", "method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("botfolio_http_requests_total", labels) or 0.0

    await client.get("/test/items/41")
    await client.get("/test/items/42")
    scrape = (await client.get("/metrics")).text

    assert REGISTRY.get_sample_value("botfolio_http_requests_total", labels) == before + 2
    assert "/test/items/41" not in scrape
    assert (
        'botfolio_http_request_duration_seconds_count{method="GET",route="/test/items/{item_id}"}'
        in scrape
    )


async def test_metrics_when_scraped_has_prometheus_text_and_ready_gauge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "botfolio_ready 1.0" in response.text
    assert "botfolio_build_info{" in response.text
    assert "botfolio_jobs_oldest_queued_age_seconds" in response.text


async def test_access_log_when_request_served_writes_one_record(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    response = await client.get("/test/items/7?token=abc", headers={"user-agent": "probe/1"})
    await client.get("/healthz")

    request_id = response.headers["x-request-id"]
    async with runtime.db.session() as session:
        rows = (await session.execute(select(AccessLogRecord))).scalars().all()
    assert len(rows) == 1
    row = rows[0]
    assert row.request_id == request_id
    assert (row.method, row.path, row.route, row.status) == (
        "GET",
        "/test/items/7",
        "/test/items/{item_id}",
        200,
    )
    assert row.user_agent == "probe/1"
    assert row.actor_id is None
    assert row.latency_ms >= 0


async def test_request_log_when_served_is_one_json_line_with_request_id(
    client: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    response = await client.get("/test/items/5?password=hunter2", headers={"X-Request-ID": SANE_ID})

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    requests = [line for line in lines if line["event"] == "http.request"]
    assert response.status_code == 200
    assert len(requests) == 1
    line = requests[0]
    assert line["request_id"] == SANE_ID
    assert (line["method"], line["route"], line["status"]) == ("GET", "/test/items/{item_id}", 200)
    assert isinstance(line["latency_ms"], float)
    assert "hunter2" not in json_logs.getvalue()


async def test_streamed_response_when_served_passes_through_whole_with_headers(
    client: httpx.AsyncClient,
) -> None:
    async with client.stream("GET", "/test/stream") as response:
        lines = [line async for line in response.aiter_lines()]

    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(lines) == 500
    assert lines[-1] == "chunk 499"


async def test_metrics_when_a_job_waits_report_queue_depth_and_age_from_the_table(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(
            session,
            "shell.test_probe",
            {},
            run_after=runtime.clock.now() - timedelta(minutes=2),
            clock=runtime.clock,
        )

    await client.get("/metrics")

    depth = REGISTRY.get_sample_value(
        "botfolio_jobs_queue_depth", {"kind": "shell.test_probe", "state": "queued"}
    )
    age = REGISTRY.get_sample_value("botfolio_jobs_oldest_queued_age_seconds")
    assert depth == 1
    assert age is not None and age >= 120
