"""Request and response models for user-defined metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.validation import EventType

Aggregation = Literal["count", "sum", "avg", "min", "max", "last"]

MetricName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$"),
]

PropertyPath = Annotated[
    str,
    StringConstraints(pattern=r"^properties(\.[A-Za-z0-9_-]{1,64}){1,8}$"),
    Field(
        description="A numeric property of the event, as `properties.<key>[.<key>...]`. "
        "Only JSON numbers count; events where it is missing or not a number are skipped "
        "(but still counted by `count`). Omitted: the event's amount in base currency.",
        examples=["properties.score"],
    ),
]


class MetricDefinitionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_type": "survey",
                    "aggregation": "avg",
                    "property": "properties.score",
                    "window_days": 180,
                },
                {"event_type": "support_ticket", "aggregation": "count", "window_days": 90},
            ]
        },
    )

    event_type: EventType
    aggregation: Aggregation = Field(
        description="`count` of events, or `sum`, `avg`, `min`, `max`, `last` of the values."
    )
    property: PropertyPath | None = None
    window_days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="Whole UTC days (today and the N-1 before), 1 to 3,650; omitted or null: "
        "the customer's lifetime.",
        examples=[90],
    )

    @model_validator(mode="after")
    def _count_takes_no_property(self) -> MetricDefinitionIn:
        if self.aggregation == "count" and self.property is not None:
            raise ValueError("'count' counts events and takes no property")
        return self


class MetricDefinition(BaseModel):
    name: str = Field(examples=["satisfaction_180d"])
    event_type: str = Field(examples=["survey"])
    aggregation: Aggregation
    property: str | None = Field(examples=["properties.score"])
    window_days: int | None = Field(examples=[180])
    status: Literal["ready", "pending"] = Field(
        description="`pending` while stored events are being backfilled; the metric reads "
        "as null and is listed in the customer's `pending_metrics` until then."
    )
    job_id: UUID | None = Field(description="The backfill job (see `GET /v1/jobs/{id}`).")
    created_at: datetime
    updated_at: datetime
