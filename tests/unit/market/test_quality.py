"""Each quality check finds its anomaly on a crafted frame and stays silent on clean data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from botfolio.market.anomalies import AnomalyKind
from botfolio.market.candles import Candle, candles_to_frame
from botfolio.market.quality import QualityConfig, assess

START = datetime(2026, 3, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
BARS = 600


def clean_frame(bars: int = BARS) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, bars)))
    opens = np.concatenate([[100.0], closes[:-1]])
    candles = [
        Candle(
            open_time=START + i * STEP,
            open=_dec(opens[i]),
            high=_dec(max(opens[i], closes[i]) * 1.0005),
            low=_dec(min(opens[i], closes[i]) * 0.9995),
            close=_dec(closes[i]),
            volume=Decimal(10),
        )
        for i in range(bars)
    ]
    return candles_to_frame(candles)


def _dec(value: float) -> Decimal:
    return Decimal(f"{value:.8f}")


def just_after(frame: pd.DataFrame) -> datetime:
    return frame.index[-1].to_pydatetime() + STEP


def kinds(frame: pd.DataFrame, now: datetime | None = None) -> set[AnomalyKind]:
    report = assess(frame, "5m", now or just_after(frame))
    assert report.ok == (not report.anomalies)
    return {a.kind for a in report.anomalies}


def test_assess_when_data_is_clean_reports_ok() -> None:
    frame = clean_frame()
    report = assess(frame, "5m", just_after(frame))
    assert report.ok and report.anomalies == []


def test_assess_when_float_frame_is_clean_reports_ok() -> None:
    frame = clean_frame().astype("float64")
    assert assess(frame, "5m", just_after(frame)).ok


def test_assess_when_candles_are_missing_reports_the_gap() -> None:
    frame = clean_frame()
    gapped = frame.drop(frame.index[100:103])
    report = assess(gapped, "5m", just_after(frame))
    assert [a.kind for a in report.anomalies] == [AnomalyKind.MISSING_CANDLES]
    assert report.anomalies[0].at == frame.index[100].to_pydatetime()
    assert report.anomalies[0].details["missing"] == 3


def test_assess_when_a_candle_is_duplicated_reports_it() -> None:
    frame = clean_frame()
    doubled = pd.concat([frame, frame.iloc[[50]]])
    report = assess(doubled, "5m", just_after(frame))
    assert [a.kind for a in report.anomalies] == [AnomalyKind.DUPLICATE_CANDLE]
    assert report.anomalies[0].details == {"count": 2}


def test_assess_when_prices_are_not_positive_reports_them() -> None:
    frame = clean_frame()
    frame.iloc[200, :4] = Decimal(0)
    assert kinds(frame) == {AnomalyKind.NON_POSITIVE_PRICE}


def test_assess_when_volume_is_negative_reports_it() -> None:
    frame = clean_frame()
    frame.iloc[10, 4] = Decimal(-1)
    assert kinds(frame) == {AnomalyKind.NEGATIVE_VOLUME}


@pytest.mark.parametrize(
    ("column", "factor"), [("high", Decimal("0.98")), ("low", Decimal("1.02"))]
)
def test_assess_when_ohlc_is_inconsistent_reports_it(column: str, factor: Decimal) -> None:
    frame = clean_frame()
    frame.loc[frame.index[300], column] = frame["close"].iloc[300] * factor
    report = assess(frame, "5m", just_after(frame))
    assert {a.kind for a in report.anomalies} == {AnomalyKind.INCONSISTENT_OHLC}
    assert report.anomalies[0].at == frame.index[300].to_pydatetime()


def test_assess_when_a_price_spikes_reports_the_spike() -> None:
    frame = clean_frame()
    row = frame.index[400]
    for column in ("high", "close"):
        frame.loc[row, column] = frame.loc[row, column] * Decimal("1.05")
    report = assess(frame, "5m", just_after(frame))
    assert {a.kind for a in report.anomalies} == {AnomalyKind.PRICE_SPIKE}
    assert report.anomalies[0].at == row.to_pydatetime()
    assert report.anomalies[0].details["sigmas"] > QualityConfig().spike_sigmas


def test_assess_when_feed_is_stale_reports_it() -> None:
    frame = clean_frame()
    late = just_after(frame) + 4 * STEP
    report = assess(frame, "5m", late)
    assert [a.kind for a in report.anomalies] == [AnomalyKind.STALE_FEED]
    assert report.anomalies[0].at == frame.index[-1].to_pydatetime()
    assert kinds(frame, just_after(frame) + 3 * STEP) == set()


def test_assess_when_frame_is_empty_is_not_ok() -> None:
    report = assess(clean_frame().iloc[:0], "5m", START)
    assert not report.ok and report.anomalies[0].kind is AnomalyKind.NO_DATA


def test_assess_when_price_was_flat_does_not_divide_by_zero_sigma() -> None:
    frame = clean_frame()
    frame[["open", "high", "low", "close"]] = Decimal(1)
    frame.loc[frame.index[-1], ["high", "close"]] = Decimal("1.0001")
    assert kinds(frame) == set()
