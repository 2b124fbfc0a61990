"""The stored-holdout gate: compared only on the same range; NaN never wins; ties do not pass."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botfolio.predictions.models import ModelVersion
from botfolio.predictions.registry_gate import compare_stored_holdout, same_holdout_range

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _version(ic: Any, **changes: Any) -> ModelVersion:
    fields: dict[str, Any] = {
        "id": "v",
        "family": "default",
        "model_key": "k",
        "artifact_path": "/models/k",
        "artifact_sha256": "0" * 64,
        "feature_set": "ohlcv-v1",
        "timeframe": "5m",
        "horizon": 12,
        "symbols": ["A/B", "C/D"],
        "data_start": "2026-01-01T00:00:00+00:00",
        "data_end": "2026-02-01T00:00:00+00:00",
        "metrics": {"holdout": {"information_coefficient": ic, "rows": 100, "timestamps": 50}},
        "state": "candidate",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(changes)
    return ModelVersion(**fields)


def test_compare_stored_holdout_when_candidate_has_higher_ic_on_same_range_passes() -> None:
    verdict = compare_stored_holdout(_version(0.05), _version(0.02))

    assert verdict.passed and verdict.method == "stored holdout"


def test_compare_stored_holdout_when_ic_is_equal_or_nan_does_not_pass() -> None:
    assert not compare_stored_holdout(_version(0.02), _version(0.02)).passed
    assert not compare_stored_holdout(_version(float("nan")), _version(0.02)).passed


def test_compare_stored_holdout_when_champion_ic_is_nan_lets_a_finite_candidate_pass() -> None:
    assert compare_stored_holdout(_version(0.01), _version(float("nan"))).passed


def test_same_holdout_range_when_any_part_of_the_range_differs_is_false() -> None:
    base = _version(0.02)
    different = [
        _version(0.02, data_end="2026-03-01T00:00:00+00:00"),
        _version(0.02, symbols=["A/B"]),
        _version(0.02, horizon=6),
        _version(0.02, metrics={"holdout": {"information_coefficient": 0.1, "rows": 99}}),
    ]

    assert same_holdout_range(base, _version(0.5))
    assert not any(same_holdout_range(other, base) for other in different)
    assert all(
        compare_stored_holdout(other, base).method == "not comparable" for other in different
    )
