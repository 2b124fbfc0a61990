"""The in-memory engine: routing, output validation, in-process rollback and the latency window."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from botfolio.predictions.canary import routes_to_canary
from botfolio.predictions.engine import (
    EngineUnavailableError,
    PredictionEngine,
    ServingModel,
)
from botfolio.predictions.serving_config import ServingPolicy

ROWS = np.zeros((4, 3))


class Constant:
    def __init__(self, value: float) -> None:
        self.value = value

    def predict(self, data: Any) -> Any:
        return np.full(len(data), self.value)


class Raising:
    def predict(self, data: Any) -> Any:
        raise ValueError("model exploded")


def _model(version: str, role: str, scorer: Any, share: float = 0.0) -> ServingModel:
    return ServingModel(version, f"key-{version}", role, "5m", 12, (), share, scorer)


def _engine(policy: ServingPolicy | None = None, **kw: Any) -> PredictionEngine:
    engine = PredictionEngine("default", policy or ServingPolicy(), **kw)
    return engine


def _bot(on_canary: bool, share: float) -> str:
    return next(
        f"b{i}" for i in range(1000) if routes_to_canary("default", f"b{i}", share) == on_canary
    )


def test_predict_when_bot_is_in_canary_bucket_is_served_by_canary_else_champion() -> None:
    engine = _engine()
    engine.install(
        1,
        champion=_model("c", "champion", Constant(0.01)),
        canary=_model("k", "canary", Constant(0.02), share=0.3),
        fallback=None,
    )

    on = engine.predict(ROWS, _bot(True, 0.3))
    off = engine.predict(ROWS, _bot(False, 0.3))

    assert (on.model.version_id, off.model.version_id) == ("k", "c")
    assert engine.drain_faults() == []


@pytest.mark.parametrize(
    ("scorer", "trigger"),
    [
        (Constant(float("nan")), "invalid_output"),
        (Constant(0.9), "invalid_output"),
        (Raising(), "raised"),
    ],
)
def test_predict_when_canary_fails_answers_from_champion_and_takes_canary_out(
    scorer: Any, trigger: str
) -> None:
    engine = _engine()
    engine.install(
        1,
        champion=_model("c", "champion", Constant(0.01)),
        canary=_model("k", "canary", scorer, share=0.5),
        fallback=None,
    )

    scored = engine.predict(ROWS, _bot(True, 0.5))

    assert scored.model.version_id == "c"
    assert np.allclose(scored.values, 0.01)
    assert engine.canary is None
    assert [(f.version_id, f.trigger) for f in engine.drain_faults()] == [("k", trigger)]


def test_predict_when_champion_fails_returns_to_previous_champion_at_once() -> None:
    engine = _engine()
    engine.install(
        1,
        champion=_model("new", "champion", Constant(float("inf"))),
        canary=None,
        fallback=_model("old", "fallback", Constant(0.003)),
    )

    scored = engine.predict(ROWS, "bot")

    assert (scored.model.version_id, scored.model.role) == ("old", "champion")
    assert engine.champion is not None and engine.champion.version_id == "old"


def test_predict_when_champion_fails_without_a_previous_one_is_unavailable() -> None:
    engine = _engine()
    engine.install(1, champion=_model("c", "champion", Raising()), canary=None, fallback=None)

    with pytest.raises(EngineUnavailableError):
        engine.predict(ROWS, "bot")

    assert not engine.available


def test_predict_when_output_has_wrong_shape_is_invalid_output() -> None:
    class Short:
        def predict(self, data: Any) -> Any:
            return np.zeros(len(data) - 1)

    engine = _engine()
    engine.install(1, champion=_model("c", "champion", Short()), canary=None, fallback=None)

    with pytest.raises(EngineUnavailableError):
        engine.predict(ROWS, "bot")

    assert [f.trigger for f in engine.drain_faults()] == ["invalid_output"]


class ScriptedTimer:
    """Each scoring call takes the next duration from the script (two timer reads per call)."""

    def __init__(self, durations: list[float]) -> None:
        self.readings = [t for d in durations for t in (0.0, d)]

    def __call__(self) -> float:
        return self.readings.pop(0)


def test_latency_when_one_call_is_slow_keeps_serving_and_when_most_are_slow_rolls_back() -> None:
    policy = ServingPolicy(latency_budget_seconds=0.01, latency_window=4, latency_breach_share=0.5)
    durations = [0.5, 0.001, 0.001, 0.001, 0.001, 0.5, 0.5, 0.001]
    engine = _engine(policy, timer=ScriptedTimer(durations))
    engine.install(
        1,
        champion=_model("new", "champion", Constant(0.0)),
        canary=None,
        fallback=_model("old", "fallback", Constant(0.0)),
    )

    served = [engine.predict(ROWS, "bot").model.version_id for _ in range(8)]

    assert served == ["new"] * 7 + ["old"]
    assert [f.trigger for f in engine.drain_faults()] == ["latency_budget"]
