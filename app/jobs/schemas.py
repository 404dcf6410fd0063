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
    status: Literal["queued", "running", "succeeded", "failed"]
    params: dict[str, Any] = Field(examples=[{"event_type": "survey", "property": "score"}])
    progress: JobProgress
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
