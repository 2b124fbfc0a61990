"""`botfolio demo`: one process serving the API with a worker and the scheduler; re-runnable."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from botfolio.cli import demo
from botfolio.config import Settings
from botfolio.runtime import Runtime

BOTFOLIO = str(Path(sys.executable).with_name("botfolio"))
STARTUP_LIMIT_SECONDS = 180.0  # the CLI imports every domain; slow on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_demo_admin_when_demo_runs_again_is_reused_with_same_password(
    runtime: Runtime, tmp_path: Path
) -> None:
    first = await demo.ensure_demo_admin(runtime, tmp_path)
    second = await demo.ensure_demo_admin(runtime, tmp_path)

    assert first is not None
    assert second == first
    assert oct((tmp_path / demo.CREDENTIALS_FILE).stat().st_mode & 0o777) == "0o600"


async def test_demo_admin_when_credentials_file_lost_is_not_reinvented(
    runtime: Runtime, tmp_path: Path
) -> None:
    await demo.ensure_demo_admin(runtime, tmp_path)
    (tmp_path / demo.CREDENTIALS_FILE).unlink()

    assert await demo.ensure_demo_admin(runtime, tmp_path) is None


async def test_demo_run_when_duration_given_serves_then_stops_by_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"},
        data_dir=tmp_path,
        security={"keyring_file": tmp_path / "keyring.json"},
    )
    await demo.migrate.upgrade_async(settings.database.url.get_secret_value())
    port = _free_port()

    await demo.run(settings, port=port, duration=1.0)

    out = capsys.readouterr().out
    assert f"API at http://127.0.0.1:{port}" in out
    assert "running in this process: api, worker, scheduler, exchange simulator" in out
    assert demo.DEMO_ADMIN_EMAIL in out


@pytest.mark.slow
def test_demo_command_when_interrupted_serves_until_ctrl_c_then_exits_cleanly(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTFOLIO_")}
    port = _free_port()
    log = (tmp_path / "demo.log").open("wb")
    process = subprocess.Popen(
        [BOTFOLIO, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        ready = _poll_ready(f"http://127.0.0.1:{port}/readyz", process)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()

    assert ready.status_code == 200
    assert process.returncode == 0, (tmp_path / "demo.log").read_text()
    assert f"API at http://127.0.0.1:{port}" in out
    assert "demo stopped" in out
    assert (tmp_path / "var" / "botfolio.db").is_file()
    assert (tmp_path / "var" / demo.CREDENTIALS_FILE).is_file()


def _poll_ready(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while True:
        assert process.poll() is None, "botfolio demo exited before serving"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
