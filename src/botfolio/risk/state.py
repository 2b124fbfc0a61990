"""Trading states (the kill switch): ACTIVE, REDUCING (sells only), HALTED (nothing), per scope."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

GLOBAL_SCOPE_ID = ""


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


class TradingScope(StrEnum):
    """Where a state applies; the effective state of a bot is the most restrictive of the three."""

    GLOBAL = "global"
    USER = "user"
    BOT = "bot"


def most_restrictive(states: Iterable[TradingState]) -> TradingState:
    return max(states, key=lambda s: s.severity, default=TradingState.ACTIVE)
