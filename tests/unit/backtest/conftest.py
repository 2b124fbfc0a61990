"""Shared fixtures of the backtest unit tests: a synthetic market and deterministic scorers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.features import FEATURE_NAMES

SYMBOLS = ("AAA/BTC", "BBB/BTC", "CCC/BTC", "DDD/BTC")
PRICES = tuple(Decimal(p) for p in ("0.05", "0.002", "0.0004", "0.01"))
MOMENTUM = FEATURE_NAMES.index("ret_12")


class MomentumScorer:
    """Scores each row by its 12-candle return: a real, deterministic 'model' for tests."""

    def predict(self, data: np.ndarray) -> np.ndarray:
        return np.nan_to_num(data[:, MOMENTUM], nan=-1.0)


class ConstantScorer:
    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, data: np.ndarray) -> np.ndarray:
        return np.full(len(data), self.value)


@pytest.fixture(scope="module")
def candles() -> dict[str, pd.DataFrame]:
    config = SyntheticMarketConfig(symbols=SYMBOLS, initial_prices=PRICES)
    return generate_frames(config, seed=11, bars=600)


@pytest.fixture
def momentum() -> MomentumScorer:
    return MomentumScorer()


@pytest.fixture
def constant() -> Callable[[float], ConstantScorer]:
    return ConstantScorer
