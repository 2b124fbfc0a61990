"""The exchange simulator in a process of its own, as a venue is: its CPU (signature checks,
matching, HTTP) then does not share the measured process's event loop and GIL."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection

from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.control_client import SimulatorControl
from botfolio.exchanges.simulator.server import run_simulator
from botfolio.logs import configure_logging

START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class RemoteSimulator:
    binance_url: str
    upbit_url: str
    control_token: str

    def control(self, venue: str = "binance") -> SimulatorControl:
        url = self.binance_url if venue == "binance" else self.upbit_url
        return SimulatorControl(url, self.control_token)


async def _serve(config: SimulatorConfig, conn: Connection) -> None:
    async with run_simulator(config) as sim:
        conn.send((sim.binance_url, sim.upbit_url, sim.control_token))
        await asyncio.Event().wait()  # until the parent terminates this process


def _main(config: SimulatorConfig, conn: Connection) -> None:
    configure_logging("WARNING")
    asyncio.run(_serve(config, conn))


@contextmanager
def simulator_process(config: SimulatorConfig) -> Iterator[RemoteSimulator]:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_main, args=(config, child), daemon=True)
    process.start()
    try:
        if not parent.poll(START_TIMEOUT_SECONDS):
            raise RuntimeError(f"the simulator process did not start in {START_TIMEOUT_SECONDS} s")
        binance_url, upbit_url, token = parent.recv()
        yield RemoteSimulator(binance_url, upbit_url, token)
    finally:
        process.terminate()
        process.join(10)
