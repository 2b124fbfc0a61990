"""PostgreSQL goes away and comes back behind a TCP proxy: 503s while down, recovery without a
restart (pool_pre_ping drops the dead pooled connections), and requests never fail on the access
log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url

from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

pytestmark = pytest.mark.postgres

AppFactory = Any
TcpProxyType = Any


@pytest.fixture
async def proxied(
    postgres_url: str, keyring: KeyRing, tcp_proxy_class: type[TcpProxyType]
) -> AsyncIterator[tuple[Runtime, TcpProxyType]]:
    target = make_url(postgres_url)
    proxy = tcp_proxy_class(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    runtime = Runtime(
        settings=Settings(database={"url": url}), db=Database(url), cipher=FieldCipher(keyring)
    )
    try:
        yield runtime, proxy
    finally:
        await proxy.stop()
        await runtime.close()


def _failures() -> float:
    return REGISTRY.get_sample_value("botfolio_access_log_write_failures_total") or 0.0


async def test_database_when_it_goes_away_gives_503_and_recovers_without_restart(
    proxied: tuple[Runtime, TcpProxyType], app_factory: type[AppFactory]
) -> None:
    runtime, proxy = proxied
    async with app_factory.client(runtime) as http:
        assert (await http.get("/readyz")).status_code == 200
        assert (await http.get("/test/db")).json() == {"one": 1}

        await proxy.stop()
        failures_before = _failures()
        not_ready = await http.get("/readyz")
        down = await http.get("/test/db")
        served_anyway = await http.get("/test/items/3")
        scrape = await http.get("/metrics")

        await proxy.start()
        ready_again = await http.get("/readyz")
        up_again = await http.get("/test/db")

    assert not_ready.status_code == 503
    assert not_ready.json() == {"status": "not_ready", "reason": "database_unavailable"}
    assert down.status_code == 503
    error = down.json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["request_id"] == down.headers["x-request-id"]
    assert down.headers["retry-after"]
    assert served_anyway.status_code == 200
    assert _failures() == failures_before + 2  # /test/db and /test/items: their access records
    assert scrape.status_code == 200
    assert "botfolio_ready 0.0" in scrape.text
    assert "botfolio_database_up 0.0" in scrape.text
    assert ready_again.status_code == 200
    assert up_again.status_code == 200
    assert up_again.json() == {"one": 1}
