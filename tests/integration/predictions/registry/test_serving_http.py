"""The predictor app over HTTP (ASGI in-process), and the client against a real loopback port:
answers, refusals, 503 without a model, hot reload on a registry change, retries then
PredictorUnavailableError when nothing listens."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.predictions import registry
from botfolio.predictions.client import PredictorClient, PredictorUnavailableError
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.models import ModelState
from botfolio.predictions.serving_app import create_predictor_app
from botfolio.predictions.serving_config import ServingPolicy
from botfolio.predictions.serving_types import PredictRequest

from .conftest import OPERATOR, SYMBOLS, VENUE, Artifacts, champion_of, register, store_candles

BODY = {"symbols": list(SYMBOLS), "venue": VENUE, "bot_id": "bot-7"}


@pytest.fixture
async def host(db: Database, clock: ManualClock, artifacts: Artifacts) -> EngineHost:
    await store_candles(db, {s: f.tail(200) for s, f in artifacts.frames.items()})
    return EngineHost(db, clock, policy=ServingPolicy(reload_interval_seconds=0.05))


@pytest.fixture
async def http(host: EngineHost) -> AsyncIterator[httpx.AsyncClient]:
    app = create_predictor_app(host, hot_reload=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://predictor") as client:
        yield client


async def test_predict_when_no_model_is_registered_answers_503_unavailable(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/v1/predict", json=BODY)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "prediction_engine_unavailable"
    assert (await http.get("/readyz")).status_code == 503


async def test_predict_when_champion_serves_answers_every_symbol_with_the_version(
    db: Database, clock: ManualClock, artifacts: Artifacts, http: httpx.AsyncClient
) -> None:
    champion = await champion_of(db, clock, artifacts.good)

    response = await http.post("/v1/predict", json=BODY)
    metrics = await http.get("/metrics")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_version_id"] == champion.id
    assert sorted(body["values"]) == sorted(SYMBOLS)
    assert "botfolio_prediction_latency_seconds_bucket" in metrics.text


@pytest.mark.parametrize(
    "body",
    [
        {"symbols": [], "venue": VENUE},
        {"symbols": ["not a symbol"], "venue": VENUE},
        {"symbols": ["ZZZ/USDT"], "venue": VENUE},
        {**BODY, "extra": 1},
    ],
)
async def test_predict_when_request_is_bad_refuses_with_4xx_and_stores_nothing(
    db: Database, clock: ManualClock, artifacts: Artifacts, http: httpx.AsyncClient, body: dict
) -> None:
    await champion_of(db, clock, artifacts.good)

    response = await http.post("/v1/predict", json=body)

    assert response.status_code == 422


async def test_refresh_when_registry_revision_moves_hot_reloads_the_new_champion(
    db: Database, clock: ManualClock, artifacts: Artifacts, host: EngineHost
) -> None:
    first = await champion_of(db, clock, artifacts.worse)
    request = PredictRequest(symbols=SYMBOLS, venue=VENUE, bot_id="bot-1")
    assert (await host.predict(request)).model_version_id == first.id
    second = await register(db, clock, artifacts.good)
    async with db.transaction() as session:
        await registry.promote(session, clock, second.id, to=ModelState.CHAMPION, actor=OPERATOR)

    reloaded = await host.refresh()

    assert reloaded
    assert (await host.predict(request)).model_version_id == second.id
    assert not await host.refresh()  # nothing moved since


async def test_predict_in_a_worker_follows_a_promotion_without_a_reloader_task(
    db: Database, clock: ManualClock, artifacts: Artifacts, host: EngineHost
) -> None:
    first = await champion_of(db, clock, artifacts.worse)
    request = PredictRequest(symbols=SYMBOLS, venue=VENUE, bot_id="bot-2")
    assert (await host.predict(request)).model_version_id == first.id
    second = await register(db, clock, artifacts.good)
    async with db.transaction() as session:  # as `botfolio model promote` would, elsewhere
        await registry.promote(session, clock, second.id, to=ModelState.CHAMPION, actor=OPERATOR)
    await asyncio.sleep(0.06)  # the reload interval of this host (0.05 s)

    assert (await host.predict(request)).model_version_id == second.id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_client_when_nothing_listens_retries_then_raises_predictor_unavailable() -> None:
    client = PredictorClient(
        f"http://127.0.0.1:{_closed_port()}", timeout_seconds=0.5, attempts=3, max_wait_seconds=0.01
    )
    try:
        with pytest.raises(PredictorUnavailableError, match="after 3 attempts"):
            await client.predict(PredictRequest(symbols=SYMBOLS, venue=VENUE))
    finally:
        await client.aclose()
