"""HTTP routes for background jobs."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from app.api.deps import Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.jobs import service
from app.jobs.schemas import Job, JobProgress

router = APIRouter(prefix="/v1/jobs", tags=["Jobs"], responses=problems(401, 403))


@router.get(
    "/{job_id}",
    summary="A background job's status and progress",
    description="Jobs backfill metric definitions (and, later, apply new scheme versions).",
    responses=problems(404),
)
async def get_job(
    job_id: UUID,
    conn: Transaction,
    principal: Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))],
) -> Job:
    row = await service.get(conn, principal.workspace_id, job_id)
    percent = None
    if row.total:
        percent = round(100 * min(row.done, row.total) / row.total, 1)
    elif row.status == "succeeded":
        percent = 100.0
    return Job(
        id=row.id,
        kind=row.kind,
        status=row.status,
        params=row.params,
        progress=JobProgress(done=row.done, total=row.total, percent=percent),
        superseded_by=row.superseded_by,
        error=row.error,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
