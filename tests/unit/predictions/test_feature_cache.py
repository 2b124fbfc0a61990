"""The feature cache: one result per request shape and set of newest candles, for a short time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np

from botfolio.predictions.feature_cache import CandleMarker, FeatureCache, FeatureKey
from botfolio.predictions.serving_features import FeatureRows

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
KEY = FeatureKey("binance", "5m", ("AAA/USDT", "BBB/USDT"), ("AAA/USDT",))
MARKER: CandleMarker = (("AAA/USDT", T0), ("BBB/USDT", T0))


class _Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _rows(value: float) -> FeatureRows:
    return FeatureRows(as_of=T0, symbols=("AAA/USDT",), matrix=np.full((1, 3), value))


def test_get_when_same_key_and_marker_returns_stored_rows() -> None:
    cache = FeatureCache(30)
    rows = _rows(1.0)
    cache.put(KEY, MARKER, rows)

    assert cache.get(KEY, MARKER) is rows
    assert (cache.hits, cache.misses) == (1, 0)


def test_get_when_a_symbol_has_a_newer_candle_misses() -> None:
    cache = FeatureCache(30)
    cache.put(KEY, MARKER, _rows(1.0))
    newer: CandleMarker = (("AAA/USDT", T0 + timedelta(minutes=5)), ("BBB/USDT", T0))

    assert cache.get(KEY, newer) is None


def test_get_when_other_wanted_symbols_misses() -> None:
    cache = FeatureCache(30)
    cache.put(KEY, MARKER, _rows(1.0))
    other = FeatureKey("binance", "5m", KEY.universe, ("BBB/USDT",))

    assert cache.get(other, MARKER) is None


def test_get_when_entry_older_than_ttl_misses() -> None:
    timer = _Timer()
    cache = FeatureCache(30, timer=timer)
    cache.put(KEY, MARKER, _rows(1.0))
    timer.now = 29.9
    assert cache.get(KEY, MARKER) is not None
    timer.now = 30.0

    assert cache.get(KEY, MARKER) is None


def test_put_when_ttl_zero_keeps_nothing() -> None:
    cache = FeatureCache(0)
    cache.put(KEY, MARKER, _rows(1.0))

    assert not cache.enabled
    assert cache.get(KEY, MARKER) is None


def test_put_when_full_evicts_least_recently_used() -> None:
    cache = FeatureCache(30, max_entries=2)
    keys = [FeatureKey("v", "5m", (s,), (s,)) for s in ("A", "B", "C")]
    cache.put(keys[0], MARKER, _rows(0))
    cache.put(keys[1], MARKER, _rows(1))
    assert cache.get(keys[0], MARKER) is not None  # A is now the most recent
    cache.put(keys[2], MARKER, _rows(2))

    assert cache.get(keys[1], MARKER) is None
    assert cache.get(keys[0], MARKER) is not None
    assert cache.get(keys[2], MARKER) is not None


def test_lock_when_same_key_is_shared() -> None:
    async def both() -> tuple[asyncio.Lock, asyncio.Lock, asyncio.Lock]:
        cache = FeatureCache(30)
        other = FeatureKey("binance", "1m", KEY.universe, KEY.wanted)
        return cache.lock(KEY), cache.lock(KEY), cache.lock(other)

    first, again, other = asyncio.run(both())
    assert first is again
    assert first is not other
