"""Model features from candles of many symbols, vectorised over time and symbols at once.

Every feature at time t uses only candles that closed at or before t (tested: perturbing later
candles changes nothing at or before t). Computation runs on wide time x symbol frames
(`panel.py`), then stacks into rows indexed (open_time, symbol).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from botfolio.predictions.panel import MarketPanel, build_panel, log_close, to_long

FEATURE_SET = "ohlcv-v1"
RETURN_LAGS: tuple[int, ...] = (1, 3, 6, 12, 48)
VOLATILITY_WINDOWS: tuple[int, ...] = (12, 48)
RSI_PERIOD = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
VOLUME_WINDOW = 48
RANKED: tuple[str, ...] = ("ret_1", "ret_12", "vol_48", "volume_z_48")

FEATURE_NAMES: tuple[str, ...] = (
    *(f"ret_{lag}" for lag in RETURN_LAGS),
    *(f"vol_{window}" for window in VOLATILITY_WINDOWS),
    "range_hl",
    f"rsi_{RSI_PERIOD}",
    "macd",
    "macd_signal",
    "macd_hist",
    f"volume_z_{VOLUME_WINDOW}",
    "ret_12_rel",
    *(f"rank_{name}" for name in RANKED),
)


def compute_features(candles: Mapping[str, pd.DataFrame], timeframe: str) -> pd.DataFrame:
    """Features for every (open_time, symbol) with a candle (real or gap-filled)."""
    return panel_features(build_panel(candles, timeframe))


def panel_features(panel: MarketPanel) -> pd.DataFrame:
    wide = _price_features(panel)
    wide.update(_oscillators(panel))
    wide[f"volume_z_{VOLUME_WINDOW}"] = _volume_z(panel.volume, VOLUME_WINDOW)
    wide["ret_12_rel"] = wide["ret_12"].sub(wide["ret_12"].mean(axis=1), axis=0)
    for name in RANKED:
        wide[f"rank_{name}"] = wide[name].rank(axis=1, pct=True)
    long = to_long({name: wide[name] for name in FEATURE_NAMES}, keep=panel.close.notna())
    return long.astype("float64")


def _price_features(panel: MarketPanel) -> dict[str, pd.DataFrame]:
    logs = log_close(panel)
    wide = {f"ret_{lag}": logs - logs.shift(lag) for lag in RETURN_LAGS}
    one_bar = wide["ret_1"]
    for window in VOLATILITY_WINDOWS:
        wide[f"vol_{window}"] = one_bar.rolling(window, min_periods=window).std()
    wide["range_hl"] = np.log(panel.high / panel.low)
    return wide


def _oscillators(panel: MarketPanel) -> dict[str, pd.DataFrame]:
    close = panel.close
    change = close.diff()
    smoothing = {"alpha": 1 / RSI_PERIOD, "adjust": False, "min_periods": RSI_PERIOD}
    gains = change.clip(lower=0).ewm(**smoothing).mean()
    losses = (-change).clip(lower=0).ewm(**smoothing).mean()
    total = gains + losses
    rsi = (100 * gains / total).where(total > 0, 50.0).where(total.notna())
    fast = close.ewm(span=MACD_FAST, adjust=False, min_periods=MACD_SLOW).mean()
    slow = close.ewm(span=MACD_SLOW, adjust=False, min_periods=MACD_SLOW).mean()
    macd = (fast - slow) / close  # relative to price, so symbols of any price compare
    signal = macd.ewm(span=MACD_SIGNAL, adjust=False, min_periods=MACD_SIGNAL).mean()
    return {
        f"rsi_{RSI_PERIOD}": rsi,
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": macd - signal,
    }


def _volume_z(volume: pd.DataFrame, window: int) -> pd.DataFrame:
    level = np.log1p(volume)
    rolling = level.rolling(window, min_periods=window)
    spread = rolling.std()
    return ((level - rolling.mean()) / spread.where(spread > 0)).astype("float64")


def forward_log_returns(panel: MarketPanel, horizon: int, execution_lag: int = 0) -> pd.Series:
    """The target: log(close[t + lag + horizon] / close[t + lag]); NaN where a close is unknown.

    With `execution_lag` = 1 the return starts at the next candle's close, as a bot deciding on
    candle t can trade no earlier; it removes the bid-ask bounce of candle t from the target.
    """
    logs = log_close(panel)
    forward = logs.shift(-(horizon + execution_lag)) - logs.shift(-execution_lag)
    long = to_long({"target": forward}, keep=panel.close.notna())
    return long["target"].astype("float64")
