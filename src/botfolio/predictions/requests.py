"""What bots call: `PredictionService.request(...)` returns a Prediction, or Pending when no model
can serve. Pending requests are durable jobs retried with backoff; they are never answered with a
stale or guessed value. Once the delay passes a threshold the affected user is notified (once);
when the engine is back the job completes and the result is stored with the request.

Call `request` outside your own database transaction: it opens short ones itself, and the
in-process engine stores its predictions in its own (on SQLite a second writer would wait).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.errors import TemporaryError, ValidationFailedError
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.jobs.service import enqueue
from botfolio.logs import get_logger
from botfolio.predictions.models import PredictionRequest, RequestStatus
from botfolio.predictions.rollback_alerts import queue_delay_notification
from botfolio.predictions.serving_config import QueuePolicy
from botfolio.predictions.serving_metrics import QUEUED_REQUESTS
from botfolio.predictions.serving_types import Pending, Prediction, PredictRequest

log = get_logger(__name__)

COMPLETE_KIND = "predictions.complete_request"
NOTIFY_DELAYED_KIND = "predictions.notify_delayed"
NOTIFY_SWEEP_SECONDS = 60.0
MAX_KEY_LENGTH = 180


class PredictionBackend(Protocol):
    """The in-process `EngineHost` or the HTTP `PredictorClient`."""

    async def predict(self, request: PredictRequest) -> Prediction: ...


class PredictionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        backend: PredictionBackend,
        *,
        policy: QueuePolicy | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._backend = backend
        self.policy = policy or QueuePolicy()

    async def request(
        self, request: PredictRequest, *, request_key: str, user_id: str | None = None
    ) -> Prediction | Pending:
        """A fresh prediction, or Pending (queued once per `request_key`, e.g. `bot:tick_at`).

        A key seen before answers from its queued record: the stored result once completed,
        Pending until then. Never call the engine twice for one queued key.
        """
        if not 0 < len(request_key) <= MAX_KEY_LENGTH:
            raise ValidationFailedError(f"request_key must be 1..{MAX_KEY_LENGTH} characters")
        async with self._db.session() as session:
            queued = await _by_key(session, request_key)
        if queued is not None:
            return _answer_of(queued)
        attempt = request.model_copy(update={"request_id": request.request_id or new_id()})
        try:
            return await self._backend.predict(attempt)
        except TemporaryError as exc:
            return await self._queue(attempt, request_key, user_id, exc)

    async def _queue(
        self,
        request: PredictRequest,
        request_key: str,
        user_id: str | None,
        error: TemporaryError,
    ) -> Prediction | Pending:
        try:
            async with self._db.transaction() as session:
                row = await _insert_request(session, self._clock, request, request_key, user_id)
                row.last_error = error.message
                await enqueue(
                    session,
                    COMPLETE_KIND,
                    {"request_id": row.id},
                    idempotency_key=f"prediction-request:{request_key}",
                    max_attempts=self.policy.max_attempts,
                    clock=self._clock,
                )
        except IntegrityError:  # the same key was queued concurrently: answer from that one
            async with self._db.session() as session:
                existing = await _by_key(session, request_key)
            if existing is None:
                raise
            return _answer_of(existing)
        QUEUED_REQUESTS.labels(request.family).inc()
        log.warning(
            "prediction.request_queued",
            request_id=row.id,
            request_key=request_key,
            bot_id=request.bot_id,
            error=error.message,
        )
        return _pending(row, error.message)

    async def complete(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        """Job handler: ask the engine again; a TemporaryError re-raises so the job backs off."""
        async with ctx.db.session() as session:
            row = await session.get(PredictionRequest, str(payload["request_id"]))
        if row is None or row.status == RequestStatus.COMPLETED:
            return
        try:
            prediction = await self._backend.predict(_request_of(row))
        except TemporaryError as exc:
            await self._record_failed_attempt(ctx, row.id, exc)
            raise
        async with ctx.db.transaction() as session:
            stored = await session.get(PredictionRequest, row.id, populate_existing=True)
            if stored is None or stored.status == RequestStatus.COMPLETED:
                return
            stored.status = RequestStatus.COMPLETED.value
            stored.result = prediction.to_json()
            stored.model_version_id = prediction.model_version_id
            stored.completed_at = ctx.clock.now()
        log.info("prediction.request_completed", request_id=row.id, attempt=ctx.attempt)

    async def _record_failed_attempt(
        self, ctx: JobContext, request_id: str, error: TemporaryError
    ) -> None:
        async with ctx.db.transaction() as session:
            row = await session.get(PredictionRequest, request_id, populate_existing=True)
            if row is None:
                return
            row.attempts += 1
            row.last_error = error.message
            await notify_if_delayed(session, ctx.clock, row, self.policy)

    async def notify_delayed(self, ctx: JobContext, _payload: dict[str, Any]) -> None:
        """Periodic sweep: notify users whose requests waited past the threshold."""
        async with ctx.db.transaction() as session:
            await notify_delayed_requests(session, ctx.clock, self.policy)

    def register_jobs(self, registry: JobRegistry) -> None:
        registry.register(COMPLETE_KIND, self.complete)
        registry.register(NOTIFY_DELAYED_KIND, self.notify_delayed)


def register_periodic_tasks(tasks: PeriodicTaskRegistry) -> None:
    tasks.enqueue_every(NOTIFY_DELAYED_KIND, NOTIFY_SWEEP_SECONDS, NOTIFY_DELAYED_KIND)


async def notify_delayed_requests(session: AsyncSession, clock: Clock, policy: QueuePolicy) -> int:
    cutoff = clock.now() - timedelta(seconds=policy.notify_after_seconds)
    stmt = select(PredictionRequest).where(
        PredictionRequest.status == RequestStatus.PENDING.value,
        PredictionRequest.delay_notified_at.is_(None),
        PredictionRequest.created_at <= cutoff,
    )
    rows = (await session.scalars(stmt)).all()
    notified = 0
    for row in rows:
        notified += await notify_if_delayed(session, clock, row, policy)
    return notified


async def notify_if_delayed(
    session: AsyncSession, clock: Clock, row: PredictionRequest, policy: QueuePolicy
) -> int:
    """Queue one notification per request once it waited `notify_after_seconds`; 1 if queued."""
    now = clock.now()
    waited = (now - row.created_at).total_seconds()
    if row.delay_notified_at is not None or waited < policy.notify_after_seconds:
        return 0
    row.delay_notified_at = now
    if row.user_id is None:
        log.warning("prediction.request_delayed", request_id=row.id, bot_id=row.bot_id)
        return 0
    minutes = int(waited // 60)
    await queue_delay_notification(
        session,
        clock,
        user_id=row.user_id,
        bot_id=row.bot_id,
        reason=(
            f"the prediction engine has not answered for {minutes} min; the bot holds and "
            "will not trade on old predictions"
        ),
        dedup_key=f"predictions.delayed:{row.id}",
    )
    return 1


async def _by_key(session: AsyncSession, request_key: str) -> PredictionRequest | None:
    stmt = select(PredictionRequest).where(PredictionRequest.request_key == request_key)
    return (await session.scalars(stmt)).one_or_none()


async def _insert_request(
    session: AsyncSession,
    clock: Clock,
    request: PredictRequest,
    request_key: str,
    user_id: str | None,
) -> PredictionRequest:
    assert request.request_id is not None  # noqa: S101 - set by PredictionService.request
    row = PredictionRequest(
        id=request.request_id,
        request_key=request_key,
        family=request.family,
        bot_id=request.bot_id,
        user_id=user_id,
        venue=request.venue,
        symbols=list(request.symbols),
        status=RequestStatus.PENDING.value,
        attempts=1,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


def _request_of(row: PredictionRequest) -> PredictRequest:
    return PredictRequest(
        symbols=tuple(row.symbols),
        venue=row.venue,
        family=row.family,
        bot_id=row.bot_id,
        request_id=row.id,
    )


def _answer_of(row: PredictionRequest) -> Prediction | Pending:
    if row.status == RequestStatus.COMPLETED and row.result is not None:
        return Prediction.model_validate(row.result)
    return _pending(row, row.last_error or "waiting for the prediction engine")


def _pending(row: PredictionRequest, reason: str) -> Pending:
    return Pending(
        request_id=row.id, request_key=row.request_key, since=row.created_at, reason=reason
    )
