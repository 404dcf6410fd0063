"""Request and response models for customer queries and saved segments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.rules.schema import Condition
from app.tiers.policy import Reason
from app.validation import Description, DisplayName

MAX_SORT_KEYS = 5
MAX_FIELDS = 100

FieldPath = Annotated[str, StringConstraints(min_length=1, max_length=600)]

EXAMPLE_CONDITION: dict[str, Any] = {
    "all": [
        {"field": "tiers.value", "op": "eq", "value": "vip"},
        {"field": "traits.industry", "op": "eq", "value": "machinery"},
    ]
}

FIELDS_DESCRIPTION = (
    "What each item carries, as field paths: `customer_id`, `customer.created_at`, "
    "`metrics.<name>`, `traits.<key>[.<key>...]`, `tiers.<scheme>`, or a whole group: "
    "`metrics`, `traits`, `tiers`. Values nest by path (`traits.address.city` → "
    '`{"traits": {"address": {"city": ...}}}`).'
)


class SortKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: FieldPath = Field(
        description="A single-valued field: `customer_id`, `customer.created_at`, "
        "`metrics.<name>`, `traits.<key>...` (sorted as JSON: by type, then value) or "
        "`tiers.<scheme>`.",
        examples=["metrics.lifetime_spend"],
    )
    direction: Literal["asc", "desc"] = "asc"


class SearchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "condition": EXAMPLE_CONDITION,
                    "sort": [{"field": "metrics.lifetime_spend", "direction": "desc"}],
                    "limit": 100,
                    "cursor": None,
                    "fields": ["customer_id", "metrics.lifetime_spend", "traits.industry"],
                }
            ]
        },
    )

    condition: Condition | None = Field(
        default=None, description="Who to return; omitted or null: every customer."
    )
    sort: list[SortKey] = Field(
        default_factory=list,
        max_length=MAX_SORT_KEYS,
        description="Up to 5 keys; NULLs (no value) last in either direction; the customer "
        "id always breaks ties.",
    )
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="1 to 1000.")
    cursor: str | None = Field(
        default=None,
        max_length=4000,
        description="`next_cursor` of the previous page, sent with the same condition and "
        "sort; omit for the first page.",
    )
    fields: list[FieldPath] | None = Field(
        default=None,
        max_length=MAX_FIELDS,
        description=FIELDS_DESCRIPTION + " Default: `customer_id`, `metrics`, `tiers`.",
    )


class CountIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"condition": EXAMPLE_CONDITION}]}
    )

    condition: Condition | None = Field(
        default=None, description="Who to count; omitted or null: every customer."
    )


class CountOut(BaseModel):
    count: int = Field(description="Exact, as of the moment of the request.", examples=[1234])


class ExportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "condition": EXAMPLE_CONDITION,
                    "fields": ["customer_id", "traits.email", "metrics.spend_365d"],
                    "format": "csv",
                }
            ]
        },
    )

    condition: Condition | None = Field(
        default=None, description="Who to export; omitted or null: every customer."
    )
    fields: list[FieldPath] | None = Field(
        default=None, max_length=MAX_FIELDS, description=FIELDS_DESCRIPTION
    )
    format: Literal["csv", "ndjson"] = "ndjson"


class SearchItem(BaseModel):
    """The requested fields of one customer; `metrics` as in `Customer` (schema `Metrics`:
    money in the workspace's base currency as `Money` or `MoneyAverage`)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "crm-42",
                    "metrics": {"lifetime_spend": "12840.00"},
                    "traits": {"industry": "machinery"},
                    "tiers": {"value": "vip"},
                }
            ]
        },
    )


class SegmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "VIPs in machinery",
                    "description": "For the machinery account managers.",
                    "condition": EXAMPLE_CONDITION,
                }
            ]
        },
    )

    name: DisplayName
    description: Description | None = None
    condition: Condition = Field(description="A customer is a member while this holds.")


class Segment(BaseModel):
    key: str = Field(examples=["vip-machinery"])
    version: int = Field(description="1 for the first save, +1 for each later one.")
    name: str
    description: str | None
    condition: dict[str, Any] = Field(examples=[EXAMPLE_CONDITION])
    saved_by: UUID | None = Field(description="The API key that saved this version.")
    job_id: UUID | None = Field(
        description="The background job applying this version to every customer "
        "(`GET /v1/jobs/{id}`)."
    )
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class SegmentMember(BaseModel):
    customer_id: str = Field(examples=["crm-42"])
    since: datetime = Field(description="When the customer entered the segment.")


class CustomerSegment(BaseModel):
    key: str = Field(examples=["vip-machinery"])
    name: str = Field(examples=["VIPs in machinery"])
    since: datetime


class SegmentChange(BaseModel):
    segment: str = Field(examples=["vip-machinery"])
    version: int = Field(description="The segment version that decided it.")
    change: Literal["entered", "exited"]
    changed_at: datetime
    reason: Reason = Field(
        description="`event`, `traits_changed`, `review` (time passed), `rule_change` (a "
        "new segment version, or a scheme the condition reads changed), `metric_ready` (a "
        "backfill the condition reads finished), `rfm_refresh` (an RFM refresh changed the "
        "scores), `model_refit` (a new CLV model changed the predictions), "
        "`prediction_refresh` (the CLV predictions were recomputed as time passed or the "
        "discount rate changed) or `import`."
    )
    cause: dict[str, Any] = Field(examples=[{"event_id": "ord-1001"}])
