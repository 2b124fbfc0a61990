"""Timeframes and symbols parse strictly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from botfolio.errors import ValidationFailedError
from botfolio.market.csv_import import symbol_from_file_name
from botfolio.market.timeframes import (
    floor_to_timeframe,
    is_aligned,
    parse_timeframe,
    periods_per_year,
    validate_symbol,
)


def test_parse_timeframe_when_valid_gives_duration() -> None:
    assert parse_timeframe("5m") == timedelta(minutes=5)
    assert parse_timeframe("4h") == timedelta(hours=4)
    assert parse_timeframe("1w") == timedelta(days=7)


@pytest.mark.parametrize("text", ["", "5", "m5", "0m", "5M", "1y", "5 m"])
def test_parse_timeframe_when_invalid_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailedError):
        parse_timeframe(text)


def test_alignment_follows_the_epoch_grid() -> None:
    assert is_aligned(datetime(2018, 1, 10, 5, 5, tzinfo=UTC), "5m")
    assert not is_aligned(datetime(2018, 1, 10, 5, 6, tzinfo=UTC), "5m")
    moment = datetime(2018, 1, 10, 5, 7, 30, tzinfo=UTC)
    assert floor_to_timeframe(moment, "5m") == datetime(2018, 1, 10, 5, 5, tzinfo=UTC)


def test_periods_per_year_counts_a_full_crypto_year() -> None:
    assert periods_per_year("5m") == 105_120
    assert periods_per_year("5m", 12) == 8_760


def test_symbol_from_file_name_when_named_like_the_data_files() -> None:
    named = symbol_from_file_name(Path("/x/ETH_BTC-5m.csv"))
    assert (named.symbol, named.timeframe) == ("ETH/BTC", "5m")
    assert symbol_from_file_name(Path("ada_usdt.csv")).symbol == "ADA/USDT"


@pytest.mark.parametrize("name", ["ETHBTC.csv", "ETH-BTC-5m.csv", "_BTC.csv"])
def test_symbol_from_file_name_when_unrecognisable_is_refused(name: str) -> None:
    with pytest.raises(ValidationFailedError, match="--symbol"):
        symbol_from_file_name(Path(name))


def test_validate_symbol_normalises_case_and_refuses_garbage() -> None:
    assert validate_symbol("eth/btc") == "ETH/BTC"
    with pytest.raises(ValidationFailedError):
        validate_symbol("ETH-BTC")
