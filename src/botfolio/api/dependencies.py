"""FastAPI dependencies: the runtime and the unit-of-work session (commit on success)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the unit of work: commit when the handler returns, roll back if it raises."""
    runtime = get_runtime(request)
    async with runtime.db.transaction() as session:
        yield session
