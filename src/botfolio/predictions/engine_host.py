"""The engine wired to the database: loads the registry's serving set, hot-reloads when its
revision moves, answers requests from stored candles, stores every prediction with the version
that made it, and writes each automatic rollback (registry, audit, critical alert)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from botfolio.audit.service import Actor
from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.errors import OperationalError
from botfolio.logs import get_logger
from botfolio.predictions import registry
from botfolio.predictions import registry_repository as repo
from botfolio.predictions.artifacts import LoadedModel, load_artifact
from botfolio.predictions.engine import (
    CANARY,
    CHAMPION,
    FALLBACK,
    EngineUnavailableError,
    ModelFault,
    PredictionEngine,
    Scored,
    ServingModel,
)
from botfolio.predictions.feature_cache import FeatureCache, FeatureKey, newest_candle_times
from botfolio.predictions.features import FEATURE_SET
from botfolio.predictions.models import ModelVersion, StoredPrediction
from botfolio.predictions.serving_config import DEFAULT_FAMILY, ServingPolicy
from botfolio.predictions.serving_features import FeatureRows, feature_rows, read_recent_candles
from botfolio.predictions.serving_metrics import (
    PREDICTIONS_SERVED,
    REQUEST_LATENCY,
    SERVING_REVISION,
)
from botfolio.predictions.serving_types import Prediction, PredictRequest

log = get_logger(__name__)

ModelLoader = Callable[[Path], LoadedModel]
DB_ERRORS = (SQLAlchemyError, OSError)


class EngineHost:
    """One per process and family; `predict` is what the predictor role and in-process callers use."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        family: str = DEFAULT_FAMILY,
        policy: ServingPolicy | None = None,
        loader: ModelLoader = load_artifact,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.family = family
        self.policy = policy or ServingPolicy()
        self.engine = PredictionEngine(family, self.policy, timer=timer)
        self._db = db
        self._clock = clock
        self._loader = loader
        self._quarantined: set[str] = set()
        self._lock = asyncio.Lock()
        self._checked_at = 0.0
        self.features = FeatureCache(self.policy.feature_cache_seconds)

    async def refresh(self, *, force: bool = False) -> bool:
        """Reload the serving set when the registry revision moved; True when it reloaded."""
        async with self._lock:
            async with self._db.session() as session:
                revision = await repo.current_revision(session, self.family)
                if revision == self.engine.revision and not force:
                    return False
                snapshot = await registry.serving_snapshot(session, self.family)
            champion = await self._load(snapshot.champion, CHAMPION)
            canary = await self._load(snapshot.canary, CANARY)
            fallback = await self._load(snapshot.fallback, FALLBACK)
            if champion is None and fallback is not None:
                champion, fallback = _as_champion(fallback), None
            self.engine.install(revision, champion=champion, canary=canary, fallback=fallback)
            SERVING_REVISION.labels(self.family).set(revision)
            log.info(
                "prediction.serving_loaded",
                family=self.family,
                revision=revision,
                champion=champion.version_id if champion else None,
                canary=canary.version_id if canary else None,
            )
        await self.flush_faults()
        return True

    async def _load(self, version: ModelVersion | None, role: str) -> ServingModel | None:
        if version is None or version.id in self._quarantined:
            return None
        try:
            loaded = await asyncio.to_thread(self._loader, Path(version.artifact_path))
            _check_matches(version, loaded)
        except Exception as exc:  # a model that cannot load must not take the engine down
            if role != FALLBACK:
                fault = ModelFault(version.id, role, "load_failed", f"{type(exc).__name__}: {exc}")
                self._quarantined.add(version.id)
                self.engine.record_fault(fault)
            return None
        return ServingModel(
            version_id=version.id,
            model_key=version.model_key,
            role=role,
            timeframe=version.timeframe,
            horizon=version.horizon,
            symbols=tuple(version.symbols),
            canary_share=version.canary_share,
            scorer=loaded.booster,
        )

    async def ensure_loaded(self) -> None:
        """Load on first use; then poll the registry revision at most once per reload
        interval, so an engine hosted inside a worker (no reloader task) follows promotions
        and rollbacks made by other processes too."""
        now = time.monotonic()
        if self.engine.revision < 0:
            await self.refresh(force=True)
        elif now - self._checked_at >= self.policy.reload_interval_seconds:
            await self.refresh()
        self._checked_at = now

    async def predict(self, request: PredictRequest) -> Prediction:
        """Features from the latest candles, scored by the routed version, stored, returned."""
        started = time.perf_counter()
        await self.ensure_loaded()
        champion = self.engine.champion
        if champion is None and not self.engine.available:
            raise EngineUnavailableError(f"no model can serve family {self.family!r}")
        model_for_features = champion or self.engine.route(request.routing_key)
        rows = await self._features(request, model_for_features)
        try:
            scored = self.engine.predict(rows.matrix, request.routing_key)
        finally:
            await self.flush_faults()
        prediction = self._prediction(request, rows, scored)
        await self._store(request, prediction)
        PREDICTIONS_SERVED.labels(self.family, scored.model.role).inc()
        REQUEST_LATENCY.labels(self.family).observe(time.perf_counter() - started)
        return prediction

    async def _features(self, request: PredictRequest, model: ServingModel) -> FeatureRows:
        """Feature rows for the request, shared with every request over the same stored candles."""
        universe = tuple(dict.fromkeys([*request.symbols, *model.symbols]))
        key = FeatureKey(request.venue, model.timeframe, universe, tuple(request.symbols))
        async with self._db.session() as session:
            marker = await newest_candle_times(session, request.venue, model.timeframe, universe)
        cached = self.features.get(key, marker)
        if cached is not None:
            return cached
        async with self.features.lock(key):
            cached = self.features.get(key, marker)  # another request may have just computed it
            if cached is not None:
                return cached
            rows = await self._compute_features(request, model, universe)
            self.features.put(key, marker, rows)
            return rows

    async def _compute_features(
        self, request: PredictRequest, model: ServingModel, universe: tuple[str, ...]
    ) -> FeatureRows:
        async with self._db.session() as session:
            candles = await read_recent_candles(
                session,
                request.venue,
                model.timeframe,
                list(universe),
                self.policy.feature_lookback_bars,
            )
        return await asyncio.to_thread(feature_rows, candles, model.timeframe, request.symbols)

    def _prediction(self, request: PredictRequest, rows: FeatureRows, scored: Scored) -> Prediction:
        model = scored.model
        return Prediction(
            request_id=request.request_id or new_id(),
            family=self.family,
            model_version_id=model.version_id,
            model_key=model.model_key,
            role=model.role,
            venue=request.venue,
            timeframe=model.timeframe,
            horizon=model.horizon,
            as_of=rows.as_of,
            made_at=self._clock.now(),
            values={s: float(v) for s, v in zip(rows.symbols, scored.values, strict=True)},
        )

    async def _store(self, request: PredictRequest, prediction: Prediction) -> None:
        """Store the values once per request id: a client retry after a lost response adds none."""
        async with self._db.transaction() as session:
            seen = select(StoredPrediction.id).where(
                StoredPrediction.request_id == prediction.request_id
            )
            if (await session.execute(seen.limit(1))).first() is not None:
                return
            session.add_all(
                StoredPrediction(
                    id=new_id(),
                    model_version_id=prediction.model_version_id,
                    request_id=prediction.request_id,
                    bot_id=request.bot_id,
                    venue=prediction.venue,
                    symbol=symbol,
                    timeframe=prediction.timeframe,
                    horizon=prediction.horizon,
                    as_of=prediction.as_of,
                    value=value,
                    made_at=prediction.made_at,
                )
                for symbol, value in prediction.values.items()
            )

    async def flush_faults(self) -> None:
        """Record the engine's faults as registry rollbacks; kept for the next try if the DB fails."""
        faults = self.engine.drain_faults()
        for index, fault in enumerate(faults):
            self._quarantined.add(fault.version_id)
            try:
                await self._record_rollback(fault)
            except DB_ERRORS as exc:
                log.warning("prediction.rollback_not_recorded", error=str(exc))
                self.engine.requeue_faults(faults[index:])
                return

    async def _record_rollback(self, fault: ModelFault) -> None:
        async with self._db.transaction() as session:
            await registry.rollback(
                session,
                self._clock,
                family=self.family,
                actor=Actor.system(),
                reason=fault.reason,
                trigger=fault.trigger,
                version_id=fault.version_id,
                details={"role": fault.role},
            )

    async def run_reloader(self, stop: asyncio.Event) -> None:
        """Poll the registry revision until `stop` is set (hot reload; errors only logged)."""
        while not stop.is_set():
            try:
                await self.refresh()
            except DB_ERRORS as exc:
                log.warning("prediction.reload_failed", family=self.family, error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.policy.reload_interval_seconds)


def _as_champion(model: ServingModel) -> ServingModel:
    return replace(model, role=CHAMPION)


def _check_matches(version: ModelVersion, loaded: LoadedModel) -> None:
    if loaded.metadata.model_sha256 != version.artifact_sha256:
        raise OperationalError(
            f"the artifact at {version.artifact_path} is not the registered model "
            f"(sha256 {loaded.metadata.model_sha256[:16]}..., registered "
            f"{version.artifact_sha256[:16]}...)"
        )
    if loaded.metadata.feature_set != FEATURE_SET:
        raise OperationalError(
            f"model feature set {loaded.metadata.feature_set} is not served ({FEATURE_SET})"
        )
