"""What a dialect's routes share: the venue, its fault book, the wall clock and its skew."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botfolio.clock import Clock
from botfolio.exchanges.simulator.connections import ConnectionRegistry
from botfolio.exchanges.simulator.faults import FaultBook
from botfolio.exchanges.simulator.venue import Venue

if TYPE_CHECKING:
    from botfolio.exchanges.simulator.control import AccountSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(milliseconds: int) -> datetime:
    return EPOCH + timedelta(milliseconds=milliseconds)


@dataclass(slots=True)
class VenueContext:
    """Server time (for request timestamps) is the wall clock plus an injectable skew; market
    time (candles, fills, order times) is the simulator clock inside the venue."""

    venue: Venue
    wall_clock: Clock
    control_token: str
    faults: FaultBook = field(default_factory=FaultBook)
    connections: ConnectionRegistry = field(default_factory=ConnectionRegistry)
    skew_ms: int = 0
    initial_accounts: list[AccountSpec] = field(default_factory=list)

    def server_time_ms(self) -> int:
        return to_ms(self.wall_clock.now()) + self.skew_ms
