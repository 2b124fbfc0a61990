"""The predictor outage story with a real `botfolio predictor` process on a loopback port:
served -> killed -> every request held as a durable job (no bot gets a prediction to trade on)
-> users notified once the delay passes the threshold -> restarted -> every queued request
answered and stored."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from botfolio.audit.service import Actor
from botfolio.clock import ManualClock
from botfolio.config import JobSettings
from botfolio.db.database import Database
from botfolio.jobs.models import Job
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.market.candles import frame_to_candles
from botfolio.market.repository import SeriesKey, upsert_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.notifications.models import Notification
from botfolio.predictions import registry
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.client import PredictorClient
from botfolio.predictions.models import ModelState, PredictionRequest, StoredPrediction
from botfolio.predictions.requests import PredictionService
from botfolio.predictions.serving_config import QueuePolicy
from botfolio.predictions.serving_types import Pending, Prediction, PredictRequest
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)

SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT")
VENUE = "synthetic"
STARTUP_LIMIT_SECONDS = 120.0  # imports alone take 10+ s on a loaded 2-core machine
BOTS = [f"bot-{i}" for i in range(1, 6)]
LAUNCHER = (
    "import typer\n"
    "from botfolio.cli import predictor_cmd\n"
    "root = typer.Typer()\n"
    "@root.callback()\n"
    "def _root() -> None: pass\n"
    "root.registered_commands.extend(predictor_cmd.app.registered_commands)\n"
    "root()\n"
)


def _command() -> list[str]:
    """`botfolio predictor` once the integrator registered it; the same Typer command before."""
    from botfolio.cli.main import COMMAND_MODULES

    if any(module == "botfolio.cli.predictor_cmd" for module, *_ in COMMAND_MODULES):
        return [str(Path(sys.executable).with_name("botfolio"))]
    return [sys.executable, "-c", LAUNCHER]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PredictorProcess:
    def __init__(self, db_url: str, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = workdir
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("BOTFOLIO_")}
        self._env.update(BOTFOLIO_DATABASE__URL=db_url, BOTFOLIO_DATA_DIR=str(workdir))
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self._workdir / f"predictor-{self.starts}.log").open("wb")
        args = ["predictor", "--port", str(self.port), "--reload-seconds", "0.2"]
        self.process = subprocess.Popen(
            [*_command(), *args],
            env=self._env,
            cwd=self._workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"predictor did not start; see {log.name}")
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@pytest.fixture
def predictor(db_url: str, tmp_path: Path) -> Iterator[PredictorProcess]:
    process = PredictorProcess(db_url, tmp_path)
    yield process
    process.stop()


async def _champion(db: Database, clock: ManualClock, tmp_path: Path) -> str:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=5, bars=900)
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 20}
    config = TrainingConfig(timeframe="5m", horizon=6, folds=2, num_boost_round=15, params=params)
    save_artifact(train_walk_forward(frames, config), tmp_path / "model")
    async with db.transaction() as session:
        for symbol, frame in frames.items():
            candles = frame_to_candles(frame.tail(150))
            await upsert_candles(session, SeriesKey(VENUE, symbol, "5m"), candles)
        version = await registry.register_version(
            session, clock, artifact_dir=tmp_path / "model", actor=Actor.system()
        )
        await registry.promote(
            session, clock, version.id, to=ModelState.CHAMPION, actor=Actor.system()
        )
    return version.id


async def _work(db: Database, service: PredictionService, clock: ManualClock) -> None:
    jobs = JobRegistry()
    service.register_jobs(jobs)
    settings = JobSettings(
        poll_interval_seconds=0.05, backoff_base_seconds=1.0, backoff_max_seconds=5.0
    )
    await Worker(db, jobs, settings, clock, concurrency=2).run_until_idle()


async def _count(db: Database, stmt: object) -> int:
    async with db.session() as session:
        return int((await session.execute(stmt)).scalar_one())  # type: ignore[call-overload]


@pytest.mark.slow
async def test_predictor_when_killed_queues_requests_and_answers_all_after_restart(
    db: Database, clock: ManualClock, tmp_path: Path, predictor: PredictorProcess
) -> None:
    champion_id = await _champion(db, clock, tmp_path)
    predictor.start()
    client = PredictorClient(predictor.url, timeout_seconds=2.0, attempts=2, max_wait_seconds=0.05)
    service = PredictionService(db, clock, client, policy=QueuePolicy(notify_after_seconds=60))

    def ask(bot: str) -> PredictRequest:
        return PredictRequest(symbols=SYMBOLS, venue=VENUE, bot_id=bot)

    try:
        before = await service.request(ask("bot-0"), request_key="bot-0:t1", user_id="user-0")
        assert isinstance(before, Prediction) and before.model_version_id == champion_id

        predictor.kill()
        held = [
            await service.request(ask(b), request_key=f"{b}:t1", user_id=f"u-{b}") for b in BOTS
        ]
        again = [
            await service.request(ask(b), request_key=f"{b}:t1", user_id=f"u-{b}") for b in BOTS
        ]

        assert all(isinstance(answer, Pending) for answer in held + again)  # nothing to trade on
        assert [a.request_id for a in held] == [a.request_id for a in again]
        assert await _count(db, select(func.count()).select_from(Job)) == len(BOTS)

        await _work(db, service, clock)  # first retries fail: the predictor is still down
        clock.advance(timedelta(seconds=120))
        await _work(db, service, clock)  # the delay passed the threshold: users are told once
        clock.advance(timedelta(seconds=10))
        await _work(db, service, clock)
        assert await _count(db, select(func.count()).select_from(StoredPrediction)) == len(SYMBOLS)

        predictor.start()
        clock.advance(timedelta(seconds=10))
        await _work(db, service, clock)

        answers = [await service.request(ask(b), request_key=f"{b}:t1") for b in BOTS]
    finally:
        await client.aclose()

    assert all(isinstance(a, Prediction) for a in answers)
    assert [a.request_id for a in answers] == [a.request_id for a in held]
    async with db.session() as session:
        requests = (await session.scalars(select(PredictionRequest))).all()
        stored = (await session.scalars(select(StoredPrediction))).all()
        notices = (await session.scalars(select(Notification))).all()
    assert {r.status for r in requests} == {"completed"}
    assert {r.model_version_id for r in requests} == {champion_id}
    assert {p.request_id for p in stored} >= {a.request_id for a in held}
    assert sorted((n.user_id, n.event) for n in notices) == sorted(
        (f"u-{b}", "predictions.delayed") for b in BOTS
    )
