"""Response models for jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field


class JobProgress(BaseModel):
    done: int = Field(examples=[12000])
    total: int | None = Field(examples=[50000])
    percent: float | None = Field(examples=[24.0])


class Job(BaseModel):
    id: UUID
    kind: str = Field(examples=["metric_backfill"])
    status: Literal["queued", "running", "succeeded", "failed", "superseded", "cancelled"] = Field(
        description="`superseded`: a newer job for the same thing (segment, scheme, CLV "
        "model) replaced this one before it finished; `cancelled`: its workspace was deleted."
    )
    params: dict[str, Any] = Field(examples=[{"event_type": "survey", "property": "score"}])
    progress: JobProgress
    superseded_by: UUID | None = Field(
        description="The newer job that replaced this one, when `status` is `superseded`."
    )
    error: str | None = Field(
        description="Why the job failed or was cancelled, in words; a failure nobody "
        "foresaw carries an error id to find it in the server log.",
        examples=["The job failed unexpectedly (error id 3f2a9c41d0e7); see the server log."],
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
