"""Features use only the past, cover every symbol, and treat gaps as documented."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from botfolio.market.candles import OHLCV_COLUMNS, numeric_frame
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.features import FEATURE_NAMES, FEATURE_SET, compute_features
from botfolio.predictions.panel import build_panel

SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT")


def market(bars: int = 800) -> dict[str, pd.DataFrame]:
    """Synthetic candles with a one-candle gap in one symbol and a long gap in another."""
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=21, bars=bars)
    numeric = {symbol: numeric_frame(frame) for symbol, frame in frames.items()}
    numeric["BBB/USDT"] = numeric["BBB/USDT"].drop(numeric["BBB/USDT"].index[[150, 420]])
    numeric["CCC/USDT"] = numeric["CCC/USDT"].drop(numeric["CCC/USDT"].index[300:310])
    return numeric


def perturb_after(
    candles: dict[str, pd.DataFrame], cutoff: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(99)
    altered = {}
    for symbol, frame in candles.items():
        changed = frame.copy()
        later = changed.index > cutoff
        factors = rng.uniform(0.5, 1.5, size=(int(later.sum()), len(OHLCV_COLUMNS)))
        changed.loc[later, list(OHLCV_COLUMNS)] = changed.loc[later].to_numpy() * factors
        altered[symbol] = changed
    return altered


@pytest.mark.parametrize("cut_row", [60, 299, 305, 500, 798])
def test_features_at_t_when_later_data_changes_stay_identical(cut_row: int) -> None:
    candles = market()
    cutoff = candles["AAA/USDT"].index[cut_row]
    before = compute_features(candles, "5m")
    after = compute_features(perturb_after(candles, cutoff), "5m")
    past = before.index.get_level_values("open_time") <= cutoff
    pd.testing.assert_frame_equal(before[past], after[past], check_exact=True)
    later = after.index.get_level_values("open_time") > cutoff
    if later.any():
        assert not before[later].equals(after[later])  # the perturbation did reach the features


def test_features_at_t_when_candle_t_changes_do_change() -> None:
    candles = market()
    cutoff = candles["AAA/USDT"].index[499]
    before = compute_features(candles, "5m")
    after = compute_features(perturb_after(candles, cutoff), "5m")
    at_next = before.index.get_level_values("open_time") == candles["AAA/USDT"].index[500]
    assert not before[at_next].equals(after[at_next])


def test_features_cover_every_symbol_with_the_named_columns() -> None:
    features = compute_features(market(), "5m")
    assert list(features.columns) == list(FEATURE_NAMES)
    assert features.index.names == ["open_time", "symbol"]
    assert sorted(features.index.get_level_values("symbol").unique()) == list(SYMBOLS)
    assert FEATURE_SET == "ohlcv-v1"
    ranks = features.filter(like="rank_").stack().dropna()
    assert ranks.between(0, 1).all()


def test_features_when_one_candle_is_missing_fill_it_flat() -> None:
    candles = market()
    missing = candles["AAA/USDT"].index[150]
    features = compute_features(candles, "5m")
    row = features.loc[(missing, "BBB/USDT")]
    assert row["ret_1"] == 0.0
    assert row["range_hl"] == 0.0
    panel = build_panel(candles, "5m")
    assert panel.volume.loc[missing, "BBB/USDT"] == 0.0
    assert not panel.observed.loc[missing, "BBB/USDT"]


def test_features_when_gap_is_long_are_not_forward_filled() -> None:
    candles = market()
    grid = candles["AAA/USDT"].index
    features = compute_features(candles, "5m")
    ccc = features.xs("CCC/USDT", level="symbol")
    assert grid[300] in ccc.index  # one bar is carried forward...
    assert not ccc.index.isin(grid[301:310]).any()  # ...the rest of the gap stays empty
    resumed = ccc.loc[grid[310] :]
    assert resumed["ret_1"].iloc[0] != resumed["ret_1"].iloc[0]  # NaN: no return across the gap
    assert resumed["vol_12"].iloc[:12].isna().all()
    assert resumed["vol_12"].iloc[13:].notna().all()


def test_features_when_prices_are_decimal_match_float_input() -> None:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS[:2]), seed=2, bars=100)
    exact = compute_features(frames, "5m")
    floats = compute_features({s: numeric_frame(f) for s, f in frames.items()}, "5m")
    pd.testing.assert_frame_equal(exact, floats)
    assert isinstance(frames["AAA/USDT"]["close"].iloc[0], Decimal)
