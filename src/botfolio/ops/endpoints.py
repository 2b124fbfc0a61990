"""Operations endpoints: liveness, readiness, version and Prometheus metrics. All public."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from botfolio.auth.dependencies import public
from botfolio.ops.health import build_facts, check_readiness
from botfolio.ops.scrape import render_metrics
from botfolio.runtime import Runtime

router = APIRouter(tags=["operations"], dependencies=[Depends(public)])


class Liveness(BaseModel):
    status: str


class ReadinessBody(BaseModel):
    status: str
    reason: str | None = None


class VersionBody(BaseModel):
    version: str
    git_commit: str | None
    schema_head: str | None


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """The process is alive and serving; deliberately no database call (restart-worthy only)."""
    return Liveness(status="alive")


@router.get(
    "/readyz",
    response_model=ReadinessBody,
    responses={503: {"model": ReadinessBody, "description": "not ready, with the reason"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and its schema is at this build's head."""
    readiness = await check_readiness(_runtime(request).db)
    if readiness.ready:
        return JSONResponse(ReadinessBody(status="ready").model_dump(exclude_none=True))
    body = ReadinessBody(status="not_ready", reason=readiness.reason)
    return JSONResponse(body.model_dump(), status_code=503)


@router.get("/version", response_model=VersionBody)
async def version() -> VersionBody:
    facts = build_facts()
    return VersionBody(
        version=facts.version, git_commit=facts.git_commit, schema_head=facts.schema_head
    )


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format; database-backed gauges are refreshed first, within a timeout."""
    return Response(await render_metrics(_runtime(request)), media_type=CONTENT_TYPE_LATEST)
