"""Candle sources, the market clock, venue catch-up and the fault book (no I/O beyond tmp files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from botfolio.exchanges.simulator.accounts import Account
from botfolio.exchanges.simulator.candles import Candle, aggregate
from botfolio.exchanges.simulator.clock import SimulatorClock
from botfolio.exchanges.simulator.csv_source import CsvCandleSource
from botfolio.exchanges.simulator.engine import ExecutionModel, MatchingEngine
from botfolio.exchanges.simulator.faults import FaultBook, FaultKind, FaultSpec
from botfolio.exchanges.simulator.orders import OrderKind, OrderRequest, OrderStatus, Side
from botfolio.exchanges.simulator.random_walk import RandomWalkSource
from botfolio.exchanges.simulator.rejections import DuplicateClientOrderId
from botfolio.exchanges.simulator.rules import default_rules
from botfolio.exchanges.simulator.venue import Market, Venue

START = datetime(2026, 1, 1, tzinfo=UTC)


def walk(seed: int = 1) -> RandomWalkSource:
    return RandomWalkSource(
        symbol="BTCUSDT",
        seed=seed,
        start=START,
        start_price=Decimal("60000"),
        tick_size=Decimal("0.01"),
        history=10,
    )


def test_random_walk_when_same_seed_generates_identical_candles() -> None:
    first = list(walk().closed_candles(START + timedelta(minutes=5)))
    second = list(walk().closed_candles(START + timedelta(minutes=5)))

    assert first == second
    assert len(first) == 15
    assert all(c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close) for c in first)
    assert all(c.close % Decimal("0.01") == 0 for c in first)


def test_random_walk_when_seed_differs_generates_another_market() -> None:
    until = START + timedelta(minutes=5)

    assert list(walk(1).closed_candles(until)) != list(walk(2).closed_candles(until))


def test_csv_replay_when_started_later_shifts_history_before_the_start(tmp_path: Path) -> None:
    path = tmp_path / "AAA_BTC-5m.csv"
    path.write_text(
        "date,open,high,low,close,volume\n"
        "2018-01-10T00:00:00Z,1,2,0.5,1.5,10\n"
        "2018-01-10T00:05:00Z,1.5,2,1,1.8,10\n"
        "2018-01-10T00:10:00Z,1.8,2,1,1.9,10\n"
    )

    source = CsvCandleSource.replay_from(path, START, history=1)

    assert source.interval == timedelta(minutes=5)
    assert [c.close for c in source.closed_candles(START)] == [Decimal("1.5")]
    assert source.closed_candles(START + timedelta(minutes=5))[-1].open_time == START


def test_csv_replay_when_row_malformed_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "BAD_BTC-5m.csv"
    path.write_text("date,open,high,low,close,volume\n2018-01-10T00:00:00Z,x,2,1,1,1\n")

    with pytest.raises(ValueError, match=":2: malformed"):
        CsvCandleSource.replay_from(path, START, history=1)


def test_aggregate_when_five_minute_buckets_merges_ohlcv() -> None:
    candles = [
        Candle(
            START + timedelta(minutes=i),
            Decimal(i),
            Decimal(i + 10),
            Decimal(i),
            Decimal(i + 1),
            Decimal(1),
        )
        for i in range(10)
    ]

    merged = aggregate(candles, timedelta(minutes=5))

    assert [c.open_time for c in merged] == [START, START + timedelta(minutes=5)]
    assert merged[0].open == 0 and merged[0].close == 5 and merged[0].high == 14
    assert merged[1].volume == 5


def test_clock_when_speed_set_runs_faster_than_real_time_and_steps_add() -> None:
    real = [100.0]
    clock = SimulatorClock(START, speed=60, monotonic=lambda: real[0])

    real[0] += 2
    clock.step(timedelta(minutes=1))

    assert clock.now() == START + timedelta(minutes=3)


def test_clock_when_set_backwards_refuses() -> None:
    clock = SimulatorClock(START)

    with pytest.raises(ValueError, match="back"):
        clock.set(START - timedelta(seconds=1))


def test_venue_when_clock_steps_fills_resting_order_on_crossing_candle() -> None:
    clock = SimulatorClock(START)
    rules = default_rules("BTCUSDT", "BTC", "USDT", Decimal("60000"))
    venue = Venue("v", clock, MatchingEngine(ExecutionModel()), [Market(rules, walk())])
    account = venue.add_account(Account("k", "s"))
    account.set_free("USDT", Decimal("1000000"))
    future = walk().closed_candles(START + timedelta(minutes=30))[10:]
    lowest = min(c.low for c in future)
    order = venue.place(
        "k", OrderRequest("BTCUSDT", Side.BUY, OrderKind.LIMIT, "c1", Decimal("0.1"), price=lowest)
    )

    clock.step(timedelta(minutes=30))
    venue.catch_up()

    assert order.status is OrderStatus.FILLED
    assert order.fills[0].price == lowest


def test_venue_when_client_id_reused_refuses_duplicate() -> None:
    clock = SimulatorClock(START)
    rules = default_rules("BTCUSDT", "BTC", "USDT", Decimal("60000"))
    venue = Venue("v", clock, MatchingEngine(ExecutionModel()), [Market(rules, walk())])
    venue.add_account(Account("k", "s")).set_free("USDT", Decimal("1000000"))
    request = OrderRequest("BTCUSDT", Side.BUY, OrderKind.MARKET, "c1", Decimal("0.1"))
    venue.place("k", request)

    with pytest.raises(DuplicateClientOrderId):
        venue.place("k", request)


def test_fault_book_when_count_given_fires_that_many_times_then_disappears() -> None:
    book = FaultBook()
    book.add(FaultSpec(kind=FaultKind.HTTP_ERROR, path="/api/v3/order", status=503, count=2))

    outcomes = [book.decide("POST", "/api/v3/order", None).fault for _ in range(3)]

    assert [o is not None for o in outcomes] == [True, True, False]
    assert book.rules == []


def test_fault_book_when_path_or_key_differs_does_not_fire() -> None:
    book = FaultBook()
    book.add(FaultSpec(kind=FaultKind.CREDENTIALS_EXPIRED, api_key="k1"))
    book.add(FaultSpec(kind=FaultKind.DROP, path="/api/v3/order"))

    assert book.decide("GET", "/api/v3/account", "k2").fault is None
    assert book.decide("GET", "/api/v3/account", "k1").fault is not None


def test_fault_book_when_latency_and_error_both_match_adds_latency_and_returns_error() -> None:
    book = FaultBook()
    book.add(FaultSpec(kind=FaultKind.LATENCY, latency_ms=50))
    book.add(FaultSpec(kind=FaultKind.HTTP_ERROR, status=500))

    decision = book.decide("GET", "/x", None)

    assert decision.latency_ms == 50
    assert decision.fault is not None and decision.fault.status == 500


def test_fault_book_when_probability_half_is_seeded_and_repeatable() -> None:
    def draws() -> list[bool]:
        book = FaultBook(seed=3)
        book.add(FaultSpec(kind=FaultKind.DROP, probability=0.5))
        return [book.decide("GET", "/x", None).fault is not None for _ in range(20)]

    first = draws()

    assert first == draws()
    assert 0 < sum(first) < 20


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "http_error", "status": 404},
        {"kind": "latency"},
        {"kind": "credentials_expired"},
        {"kind": "drop", "probability": 1.5},
    ],
)
def test_fault_spec_when_parameters_invalid_is_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FaultSpec.model_validate(spec)
