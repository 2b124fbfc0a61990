"""The promotion gate: a candidate must beat the champion on the same holdout.

Preferred: re-evaluate both boosters on the same rows, restricted to times after both models'
training data ended (unseen by either). Otherwise the stored holdout metrics are compared, but
only when both were computed on the same range (same data window, symbols, timeframe, horizon
and holdout size); anything else is refused as not comparable, and an operator may force it.
The score is the holdout information coefficient (rank correlation of prediction and outcome).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from botfolio.market.candles import INDEX_NAME
from botfolio.predictions.artifacts import LoadedModel
from botfolio.predictions.features import FEATURE_NAMES
from botfolio.predictions.metrics import information_coefficient
from botfolio.predictions.models import ModelVersion
from botfolio.predictions.training import build_dataset

GATE_METRIC = "information_coefficient"
MIN_FRESH_TIMESTAMPS = 50


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    method: str
    candidate_score: float | None
    champion_score: float | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _score(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _beats(candidate: float | None, champion: float | None) -> bool:
    if candidate is None:
        return False
    return champion is None or candidate > champion


def _verdict(method: str, candidate: float | None, champion: float | None) -> GateVerdict:
    passed = _beats(candidate, champion)
    shown = f"candidate IC {candidate} vs champion IC {champion} ({method})"
    reason = f"{shown}: candidate is better" if passed else f"{shown}: candidate is not better"
    return GateVerdict(passed, method, candidate, champion, reason)


def _holdout(version: ModelVersion) -> dict[str, Any]:
    holdout = version.metrics.get("holdout", {})
    return holdout if isinstance(holdout, dict) else {}


def same_holdout_range(candidate: ModelVersion, champion: ModelVersion) -> bool:
    """Stored metrics compare only when both holdouts cover the same rows of the same data."""
    a, b = _holdout(candidate), _holdout(champion)
    return (
        candidate.timeframe == champion.timeframe
        and candidate.horizon == champion.horizon
        and sorted(candidate.symbols) == sorted(champion.symbols)
        and candidate.data_start == champion.data_start
        and candidate.data_end == champion.data_end
        and a.get("rows") is not None
        and a.get("rows") == b.get("rows")
        and a.get("timestamps") == b.get("timestamps")
    )


def compare_stored_holdout(candidate: ModelVersion, champion: ModelVersion) -> GateVerdict:
    if not same_holdout_range(candidate, champion):
        return GateVerdict(
            passed=False,
            method="not comparable",
            candidate_score=_score(_holdout(candidate).get(GATE_METRIC)),
            champion_score=_score(_holdout(champion).get(GATE_METRIC)),
            reason=(
                "the stored holdout metrics were computed on different data; give candles to "
                "re-evaluate both models on the same rows, or force the promotion"
            ),
        )
    return _verdict(
        "stored holdout",
        _score(_holdout(candidate).get(GATE_METRIC)),
        _score(_holdout(champion).get(GATE_METRIC)),
    )


def reevaluate(
    candidate: LoadedModel,
    champion: LoadedModel,
    candles: Mapping[str, pd.DataFrame],
) -> GateVerdict | None:
    """Both models on the same fresh rows; None when the candles hold too little unseen data."""
    meta = candidate.metadata
    if (meta.timeframe, meta.horizon) != (champion.metadata.timeframe, champion.metadata.horizon):
        return None
    dataset = build_dataset(candles, meta.timeframe, meta.horizon)
    seen_until = max(pd.Timestamp(meta.data_end), pd.Timestamp(champion.metadata.data_end))
    times = dataset.features.index.get_level_values(INDEX_NAME)
    fresh = times > seen_until
    if pd.Index(times[fresh]).nunique() < MIN_FRESH_TIMESTAMPS:
        return None
    rows = dataset.features[fresh][list(FEATURE_NAMES)]
    target = dataset.target[fresh]
    scores = []
    for model in (candidate, champion):
        predicted = pd.Series(model.booster.predict(rows.to_numpy()), index=rows.index)
        scores.append(_score(information_coefficient(predicted, target)))
    return _verdict("re-evaluated on unseen candles", scores[0], scores[1])
