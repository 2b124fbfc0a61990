"""The synthetic market is reproducible per seed and its candles are always well-formed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import numeric_frame
from botfolio.market.synthetic import (
    Regime,
    SyntheticCandleFeed,
    SyntheticMarket,
    SyntheticMarketConfig,
    generate_frames,
)


def test_generate_frames_when_same_seed_gives_identical_candles() -> None:
    first = generate_frames(seed=42, bars=500)
    second = generate_frames(seed=42, bars=500)
    for symbol in first:
        pd.testing.assert_frame_equal(first[symbol], second[symbol], check_exact=True)


def test_generate_frames_when_seed_differs_gives_different_paths() -> None:
    first = generate_frames(seed=1, bars=200)
    second = generate_frames(seed=2, bars=200)
    assert not first["BTC/USDT"]["close"].equals(second["BTC/USDT"]["close"])


def test_stream_when_consumed_bar_by_bar_matches_the_frames() -> None:
    frames = generate_frames(seed=5, bars=50)
    market = SyntheticMarket(seed=5)
    streamed = [market.next_candles() for _ in range(50)]
    for symbol, frame in frames.items():
        assert [bar[symbol].close for bar in streamed] == list(frame["close"])
        assert [bar[symbol].open_time for bar in streamed] == list(frame.index.to_pydatetime())


def test_candles_when_generated_in_every_regime_are_consistent() -> None:
    market = SyntheticMarket(seed=3)
    seen = set()
    for _ in range(4000):
        bar = market.next_candles()
        seen.add(market.regime)
        for candle in bar.values():
            assert candle.low <= min(candle.open, candle.close)
            assert max(candle.open, candle.close) <= candle.high
            assert candle.low > 0 and candle.volume > 0
    assert seen == set(Regime)


def test_next_open_of_each_candle_equals_previous_close() -> None:
    frame = generate_frames(seed=9, bars=300)["ETH/USDT"]
    assert (frame["open"].iloc[1:].to_numpy() == frame["close"].iloc[:-1].to_numpy()).all()
    assert (frame.index[1:] - frame.index[:-1] == pd.Timedelta(minutes=5)).all()


def test_returns_when_correlation_is_high_move_together() -> None:
    config = SyntheticMarketConfig(symbols=("A/USD", "B/USD"), default_correlation=0.8)
    frames = generate_frames(config, seed=11, bars=3000)
    returns = pd.DataFrame(
        {s: np.log(numeric_frame(f)["close"]).diff() for s, f in frames.items()}
    ).dropna()
    assert returns.corr().iloc[0, 1] > 0.6


def test_returns_show_volatility_clustering() -> None:
    frame = numeric_frame(generate_frames(seed=4, bars=5000)["BTC/USDT"])
    squared = (np.log(frame["close"]).diff().dropna()) ** 2
    assert squared.autocorr(lag=1) > 0.05


def test_candles_until_serves_only_closed_bars_once() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    market = SyntheticMarket(SyntheticMarketConfig(start=start), seed=1)
    first = market.candles_until(start + timedelta(minutes=12))
    again = market.candles_until(start + timedelta(minutes=14))
    later = market.candles_until(start + timedelta(minutes=15))
    assert [bar["BTC/USDT"].open_time.minute for bar in first] == [0, 5]
    assert again == []
    assert [bar["BTC/USDT"].open_time.minute for bar in later] == [10]
    assert market.last_bar == later[-1]
    assert market.next_open_time == start + timedelta(minutes=15)


def test_prices_when_initial_prices_given_start_there() -> None:
    config = SyntheticMarketConfig(
        symbols=("BTC/USDT",), initial_prices=(Decimal("43000.5"),), price_decimals=2
    )
    candle = SyntheticMarket(config, seed=0).next_candles()["BTC/USDT"]
    assert candle.open == Decimal("43000.50")


@pytest.mark.parametrize(
    "overrides",
    [
        {"correlation": ((1.0, 1.2, 0.0), (1.2, 1.0, 0.0), (0.0, 0.0, 1.0))},
        {"garch_alpha": 0.5, "garch_beta": 0.6},
        {"transitions": ((0.5, 0.5, 0.5), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))},
        {"symbols": ("BTC/USDT", "BTC/USDT")},
        {"timeframe": "7x"},
    ],
)
def test_config_when_invalid_is_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationFailedError):
        SyntheticMarketConfig(**overrides)  # type: ignore[arg-type]


def test_candle_feed_when_symbols_are_read_apart_stays_in_step() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    feed = SyntheticCandleFeed(SyntheticMarket(SyntheticMarketConfig(start=start), seed=5))
    btc, eth = feed.source("BTC/USDT"), feed.source("ETH/USDT")
    early = btc.closed_candles(start + timedelta(minutes=12))
    later = eth.closed_candles(start + timedelta(minutes=30))
    assert [c.open_time.minute for c in early] == [0, 5]
    assert [c.open_time.minute for c in later] == [0, 5, 10, 15, 20, 25]
    assert len(btc.closed_candles(start + timedelta(minutes=12))) == 2  # the past does not move
    frames = generate_frames(SyntheticMarketConfig(start=start), seed=5, bars=6)
    assert [c.close for c in later] == list(frames["ETH/USDT"]["close"])
    assert btc.interval == timedelta(minutes=5)
    with pytest.raises(ValidationFailedError):
        feed.source("XRP/USDT")
