"""The in-memory engine: routes a feature matrix to the champion or canary, scores, and validates.

A version that raises, returns NaN/inf or out-of-range values, or breaches its latency budget
over a window is taken out of service at once, inside this process: the request is retried on
the model traffic returns to (the champion for a canary, the previous champion for a champion),
and the fault is queued for the host to record in the registry (rollback, audit, alert).
No database and no pandas here: this is the hot path the benchmark measures.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from botfolio.errors import TemporaryError
from botfolio.logs import get_logger
from botfolio.predictions.canary import routes_to_canary
from botfolio.predictions.serving_config import ServingPolicy
from botfolio.predictions.serving_metrics import PREDICTION_ERRORS, PREDICTION_LATENCY, ROLLBACKS

log = get_logger(__name__)

CHAMPION, CANARY, FALLBACK = "champion", "canary", "fallback"


class Scorer(Protocol):
    def predict(self, data: Any) -> Any: ...


class EngineUnavailableError(TemporaryError):
    """No model can serve this family right now: the request must wait, never be guessed."""

    code = "prediction_engine_unavailable"


@dataclass(frozen=True)
class ServingModel:
    version_id: str
    model_key: str
    role: str
    timeframe: str
    horizon: int
    symbols: tuple[str, ...]
    canary_share: float
    scorer: Scorer = field(repr=False, compare=False)


@dataclass(frozen=True)
class ModelFault:
    """Why a version was taken out of service (the `trigger` names the rollback rule)."""

    version_id: str
    role: str
    trigger: str
    reason: str


@dataclass(frozen=True)
class Scored:
    values: np.ndarray
    model: ServingModel
    seconds: float


class PredictionEngine:
    """One per process and family. Not thread-safe: call it from one event loop."""

    def __init__(
        self,
        family: str,
        policy: ServingPolicy,
        *,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.family = family
        self.policy = policy
        self.revision = -1
        self._timer = timer
        self._champion: ServingModel | None = None
        self._canary: ServingModel | None = None
        self._fallback: ServingModel | None = None
        self._slow: dict[str, deque[bool]] = {}
        self._faults: list[ModelFault] = []

    @property
    def champion(self) -> ServingModel | None:
        return self._champion

    @property
    def canary(self) -> ServingModel | None:
        return self._canary

    @property
    def available(self) -> bool:
        return self._champion is not None or self._fallback is not None

    def install(
        self,
        revision: int,
        *,
        champion: ServingModel | None,
        canary: ServingModel | None,
        fallback: ServingModel | None,
    ) -> None:
        """Swap in a new serving set (one assignment each: requests see the old or the new)."""
        self._champion, self._canary, self._fallback = champion, canary, fallback
        self._slow = {}
        self.revision = revision

    def record_fault(self, fault: ModelFault) -> None:
        self._faults.append(fault)
        ROLLBACKS.labels(self.family, fault.trigger).inc()
        PREDICTION_ERRORS.labels(self.family, fault.trigger).inc()
        log.error(
            "prediction.model_fault",
            family=self.family,
            version_id=fault.version_id,
            role=fault.role,
            trigger=fault.trigger,
            reason=fault.reason,
        )

    def requeue_faults(self, faults: list[ModelFault]) -> None:
        """Put back faults the host could not record yet (database down); no double counting."""
        self._faults[:0] = faults

    def drain_faults(self) -> list[ModelFault]:
        faults, self._faults = self._faults, []
        return faults

    def route(self, routing_key: str) -> ServingModel:
        canary = self._canary
        if canary is not None and routes_to_canary(self.family, routing_key, canary.canary_share):
            return canary
        if self._champion is None and self._fallback is not None:
            self._promote_fallback()
        if self._champion is None:
            raise EngineUnavailableError(f"no model can serve family {self.family!r}")
        return self._champion

    def predict(self, matrix: np.ndarray, routing_key: str) -> Scored:
        """Score `matrix` (rows x features) with the routed model; a faulty model is taken out
        and the same rows go to the model traffic returns to."""
        for _ in range(3):  # canary -> champion -> previous champion
            model = self.route(routing_key)
            outcome = self._score(model, matrix)
            if isinstance(outcome, Scored):
                self._watch_latency(model, outcome.seconds)
                return outcome
            self._take_out(model, outcome)
        raise EngineUnavailableError(f"no model can serve family {self.family!r}")

    def _score(self, model: ServingModel, matrix: np.ndarray) -> Scored | ModelFault:
        started = self._timer()
        try:
            values = np.asarray(model.scorer.predict(matrix), dtype=np.float64)
        except Exception as exc:  # any failure of the model itself is a rollback trigger
            return ModelFault(
                model.version_id, model.role, "raised", f"{type(exc).__name__}: {exc}"
            )
        seconds = self._timer() - started
        PREDICTION_LATENCY.labels(self.family, model.role).observe(seconds)
        problem = self._invalid(values, matrix.shape[0])
        if problem is not None:
            return ModelFault(model.version_id, model.role, "invalid_output", problem)
        return Scored(values=values, model=model, seconds=seconds)

    def _invalid(self, values: np.ndarray, rows: int) -> str | None:
        if values.shape != (rows,):
            return f"expected {rows} values, got shape {values.shape}"
        finite = np.isfinite(values)
        if not finite.all():
            return f"{int((~finite).sum())} of {rows} predictions are NaN or infinite"
        worst = float(np.abs(values).max(initial=0.0))
        if worst > self.policy.max_abs_prediction:
            return (
                f"prediction {worst:.4g} is beyond the plausible +-{self.policy.max_abs_prediction}"
            )
        return None

    def _watch_latency(self, model: ServingModel, seconds: float) -> None:
        window = self._slow.get(model.version_id)
        if window is None:
            window = self._slow[model.version_id] = deque(maxlen=self.policy.latency_window)
        window.append(seconds > self.policy.latency_budget_seconds)
        if len(window) < self.policy.latency_window:
            return
        share = sum(window) / len(window)
        if share >= self.policy.latency_breach_share:
            reason = (
                f"{share:.0%} of the last {len(window)} calls exceeded the "
                f"{self.policy.latency_budget_seconds * 1000:g} ms budget"
            )
            self._take_out(
                model, ModelFault(model.version_id, model.role, "latency_budget", reason)
            )

    def _take_out(self, model: ServingModel, fault: ModelFault) -> None:
        self.record_fault(fault)
        self._slow.pop(model.version_id, None)
        if self._canary is not None and self._canary.version_id == model.version_id:
            self._canary = None
            return
        if self._champion is not None and self._champion.version_id == model.version_id:
            self._champion = None
            self._promote_fallback()

    def _promote_fallback(self) -> None:
        if self._fallback is not None:
            self._champion = replace(self._fallback, role=CHAMPION)
            self._fallback = None

    def take_out_version(self, version_id: str, fault: ModelFault) -> None:
        """Take a version out on an outside verdict (a load failure found by the host)."""
        for model in (self._canary, self._champion):
            if model is not None and model.version_id == version_id:
                self._take_out(model, fault)
                return
        self.record_fault(fault)
