"""Liveness, readiness and metrics: the only routes that need no key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from app.db.migrate import current_revision, head_revision

router = APIRouter(tags=["Operations"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    database: str = Field(examples=["ok"])
    migration: str | None = Field(examples=["0002"])
    expected_migration: str | None = Field(examples=["0002"])


@router.get("/healthz", summary="Process is alive")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Database reachable and migrations at head",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; the body says why."}},
)
async def readyz(request: Request) -> Response:
    expected = head_revision()
    try:
        async with request.app.state.engine.connect() as conn:
            current = await current_revision(conn)
    except Exception:
        body = Readiness(
            status="unavailable",
            database="unreachable",
            migration=None,
            expected_migration=expected,
        )
        return JSONResponse(body.model_dump(), status_code=503)
    if current != expected:
        body = Readiness(
            status="migrating", database="ok", migration=current, expected_migration=expected
        )
        return JSONResponse(body.model_dump(), status_code=503)
    body = Readiness(status="ready", database="ok", migration=current, expected_migration=expected)
    return JSONResponse(body.model_dump())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def prometheus_metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
