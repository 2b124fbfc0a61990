"""Reading Binance request parameters with the venue's validation errors."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from botfolio.exchanges.simulator.binance.errors import (
    BinanceError,
    illegal_characters,
    invalid_interval,
    mandatory,
)

_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_INTERVALS = {
    "1m": timedelta(minutes=1),
    "3m": timedelta(minutes=3),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "4h": timedelta(hours=4),
    "6h": timedelta(hours=6),
    "8h": timedelta(hours=8),
    "12h": timedelta(hours=12),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
    "1w": timedelta(weeks=1),
}
E = TypeVar("E", bound=StrEnum)


def required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise mandatory(name)
    return value


def decimal_or_none(params: dict[str, str], name: str) -> Decimal | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not _DECIMAL.match(raw):
        raise illegal_characters(name)
    return Decimal(raw)


def integer_or_none(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.")
    return int(raw)


def enum_value(params: dict[str, str], name: str, enum: type[E], code: int, msg: str) -> E:
    try:
        return enum(required(params, name).upper())
    except ValueError:
        raise BinanceError(code, msg) from None


def interval(params: dict[str, str]) -> timedelta:
    try:
        return _INTERVALS[required(params, "interval")]
    except KeyError:
        raise invalid_interval() from None


def symbols(params: dict[str, str]) -> list[str] | None:
    """`symbol=X` or `symbols=["X","Y"]` (JSON, as Binance takes it); None means all."""
    if params.get("symbol"):
        return [params["symbol"]]
    raw = params.get("symbols")
    if not raw:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise mandatory("symbols") from None
    if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
        raise mandatory("symbols")
    return parsed


def limit(params: dict[str, str], default: int, maximum: int) -> int:
    value = integer_or_none(params, "limit")
    if value is None:
        return default
    return max(1, min(value, maximum))
