"""`botfolio simulator` as a real process: banner, accounts file, venue and control endpoints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

BOTFOLIO = str(Path(sys.executable).with_name("botfolio"))


def read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read lines until the last banner line (demo accounts come last, one per venue)."""
    assert process.stdout is not None
    lines: list[str] = []
    while sum(line.startswith("demo account") for line in lines) < 2:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"simulator exited early: {lines}")
        lines.append(line)
    text = "".join(lines)
    return {
        "binance": re.search(r"binance spot : (\S+)", text).group(1),  # type: ignore[union-attr]
        "token": re.search(r"control token: (\S+)", text).group(1),  # type: ignore[union-attr]
        "text": text,
    }


@pytest.mark.slow
def test_simulator_command_when_started_with_accounts_file_serves_venue_and_control(
    tmp_path: Path,
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(
        "binance:\n  - api_key: file-binance-key-01\n    secret: file-binance-secret-01\n"
        "    balances: {USDT: '500'}\n"
    )
    process = subprocess.Popen(
        [
            BOTFOLIO,
            "simulator",
            "--binance-port",
            "0",
            "--upbit-port",
            "0",
            "--speed",
            "0",
            "--accounts-file",
            str(accounts),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = read_banner(process)
        ping = httpx.get(f"{banner['binance']}/api/v3/ping", timeout=5)
        listed = httpx.get(
            f"{banner['binance']}/_sim/accounts",
            headers={"X-Sim-Token": banner["token"]},
            timeout=5,
        )
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)

    assert ping.json() == {}
    assert "key=file-binance-key-01" in banner["text"]
    assert [a["api_key"] for a in listed.json()] == ["file-binance-key-01"]
    assert listed.json()[0]["balances"]["USDT"]["free"] == "500"


@pytest.mark.slow
def test_simulator_command_when_accounts_file_malformed_exits_with_clear_error(
    tmp_path: Path,
) -> None:
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("kraken: []\n")

    result = subprocess.run(
        [BOTFOLIO, "simulator", "--binance-port", "0", "--accounts-file", str(accounts)],
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert result.returncode != 0
    assert "binance" in result.stderr and "upbit" in result.stderr
