"""Response models for RFM refreshes and their cut points."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.money import Money


class CutPoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score: int = Field(ge=1, le=5)
    customers: int = Field(description="How many customers have this score.")
    min: int | Money | None = Field(
        description="The lowest value among the customers with this score (null when none): "
        "days since the last order for `r`, orders for `f`, lifetime spend (`Money`) for `m`."
    )
    max: int | Money | None = Field(description="The highest such value (null when none).")


class CutPoints(BaseModel):
    r: list[CutPoint] = Field(description="Recency: `days_since_last_order` per `rfm_r` score.")
    f: list[CutPoint] = Field(description="Frequency: `order_count` per `rfm_f` score.")
    m: list[CutPoint] = Field(description="Monetary: `lifetime_spend` per `rfm_m` score.")


class RfmRefreshOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    refreshed_at: datetime
    customers: int = Field(description="How many customers were scored (those with an order).")
    cut_points: CutPoints


class RfmRefreshResult(RfmRefreshOut):
    job_id: UUID | None = Field(
        description="The job reclassifying the schemes and segments that read an RFM score "
        "(history reason `rfm_refresh`); null when no score changed or nothing reads one."
    )
