"""A local exchange speaking Binance spot and Upbit REST dialects, for the demo and the tests."""

from botfolio.exchanges.simulator.ccxt_urls import point_ccxt_at_simulator
from botfolio.exchanges.simulator.config import MarketConfig, SimulatorConfig, VenueConfig
from botfolio.exchanges.simulator.control import AccountSpec
from botfolio.exchanges.simulator.control_client import SimulatorControl
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator

__all__ = [
    "AccountSpec",
    "MarketConfig",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorControl",
    "VenueConfig",
    "point_ccxt_at_simulator",
    "run_simulator",
]
