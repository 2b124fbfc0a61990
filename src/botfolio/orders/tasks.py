"""Job handlers for orders: submission and reconciliation, run by any worker."""

from __future__ import annotations

from typing import Any

from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.orders.reconciliation import Reconciler
from botfolio.orders.service import SUBMIT_JOB
from botfolio.orders.submission import OrderSubmitter

RECONCILE_JOB = "orders.reconcile_account"


def register_order_jobs(
    registry: JobRegistry, submitter: OrderSubmitter, reconciler: Reconciler
) -> None:
    async def submit(_ctx: JobContext, payload: dict[str, Any]) -> None:
        await submitter.submit(str(payload["order_id"]))

    async def reconcile(_ctx: JobContext, payload: dict[str, Any]) -> None:
        await reconciler.reconcile_account(str(payload["account_id"]))

    registry.register(SUBMIT_JOB, submit)
    registry.register(RECONCILE_JOB, reconcile)
