"""Job handlers and periodic tasks for orders: submission, and reconciliation of every account.

The worker and scheduler roles find `register_jobs` / `register_periodic_tasks` here through
their list of job modules (`cli/workers_cmd.py`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select

from botfolio.clock import Clock
from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.exchanges.accounts import AccountStatus
from botfolio.exchanges.models import ExchangeAccount
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry, TaskContext
from botfolio.jobs.service import enqueue
from botfolio.orders.reconciliation import Reconciler
from botfolio.orders.service import SUBMIT_JOB
from botfolio.orders.submission import GatewayProvider, OrderSubmitter, SubmissionPolicy

RECONCILE_JOB = "orders.reconcile_account"
RECONCILE_ALL_TASK = "orders.reconcile_all"


class OrdersRuntime(Protocol):
    settings: Settings
    db: Database
    clock: Clock

    @property
    def gateways(self) -> GatewayProvider: ...


def submitter_for(runtime: OrdersRuntime) -> OrderSubmitter:
    grace = timedelta(seconds=runtime.settings.exchanges.unknown_order_grace_seconds)
    return OrderSubmitter(
        runtime.db, runtime.gateways, runtime.clock, SubmissionPolicy(unknown_grace=grace)
    )


def register_jobs(registry: JobRegistry, runtime: OrdersRuntime) -> None:
    submitter = submitter_for(runtime)
    reconciler = Reconciler(runtime.db, runtime.gateways, submitter, runtime.clock)

    async def submit(_ctx: JobContext, payload: dict[str, Any]) -> None:
        await submitter.submit(str(payload["order_id"]))

    async def reconcile(_ctx: JobContext, payload: dict[str, Any]) -> None:
        await reconciler.reconcile_account(str(payload["account_id"]))

    registry.register(SUBMIT_JOB, submit)
    registry.register(RECONCILE_JOB, reconcile)


def register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: OrdersRuntime) -> None:
    async def reconcile_all(ctx: TaskContext) -> None:
        async with ctx.fenced_transaction() as session:
            ids = (
                await session.execute(
                    select(ExchangeAccount.id).where(
                        ExchangeAccount.status == AccountStatus.ACTIVE.value
                    )
                )
            ).scalars()
            for account_id in ids:
                await enqueue(
                    session,
                    RECONCILE_JOB,
                    {"account_id": account_id},
                    idempotency_key=f"{RECONCILE_JOB}:{account_id}:{ctx.slot.isoformat()}",
                    max_attempts=1,
                    clock=ctx.clock,
                )

    tasks.register(
        RECONCILE_ALL_TASK, runtime.settings.exchanges.reconcile_interval_seconds, reconcile_all
    )
