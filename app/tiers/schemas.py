"""Request and response models for schemes: their versions and tiers, templates and previews."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.rules.schema import Condition
from app.validation import Description, DisplayName, Key

MAX_TIERS = 50
MAX_DAYS = 3650


EXAMPLE_SCHEME: dict[str, Any] = {
    "name": "Customer value",
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
        },
        {
            "key": "regular",
            "name": "Regular",
            "condition": {"field": "metrics.order_count", "op": "gte", "value": 1},
        },
    ],
    "default_tier": "potential",
    "downgrade_grace_days": 30,
    "min_days_in_tier": 0,
}


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Key = Field(description="Stable id of the tier, used in `tiers.<scheme>` conditions.")
    name: DisplayName = Field(description="Display name.")
    condition: Condition = Field(description="The tier holds when this condition holds.")


class SchemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SCHEME]})

    name: DisplayName
    description: Description | None = None
    tiers: list[TierIn] = Field(
        min_length=1,
        max_length=MAX_TIERS,
        description="Highest first: a customer gets the first tier whose condition holds.",
    )
    default_tier: Key = Field(description="The tier of customers no condition holds for.")
    downgrade_grace_days: int = Field(
        default=0,
        ge=0,
        le=MAX_DAYS,
        description="A customer who stops qualifying keeps the higher tier this many whole UTC "
        "days (counted from the day it stopped) before moving down. Upgrades are immediate.",
    )
    min_days_in_tier: int = Field(
        default=0,
        ge=0,
        le=MAX_DAYS,
        description="A downgrade also waits until the customer has held the tier this many "
        "whole UTC days.",
    )
    grace_on_change: bool = Field(
        default=True,
        description="`false`: downgrades caused by saving this version apply at once instead "
        "of waiting out the grace period and tenure.",
    )
    notify: bool = Field(
        default=True,
        description="`false`: the tier changes (and segment entries and exits) that applying "
        "this version causes send no webhooks. Not part of the stored definition.",
    )

    @model_validator(mode="after")
    def _distinct_keys(self) -> SchemeIn:
        seen: dict[str, int] = {}
        for index, tier in enumerate(self.tiers):
            if tier.key in seen:
                raise _at(
                    ("tiers", index, "key"),
                    f"duplicate tier key '{tier.key}' (also tiers.{seen[tier.key]}.key)",
                )
            seen[tier.key] = index
        if self.default_tier in seen:
            raise _at(
                ("default_tier",),
                f"'{self.default_tier}' is already tiers.{seen[self.default_tier]}.key; the "
                "default tier must be a tier of its own",
            )
        return self


def _at(loc: tuple[str | int, ...], message: str) -> ValidationError:
    return ValidationError.from_exception_data(
        "SchemeIn",
        [
            InitErrorDetails(
                type=PydanticCustomError("invalid_tier_key", message), loc=loc, input=loc[-1]
            )
        ],
    )


class TemplateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"thresholds": {"vip_spend": "10000", "vip_orders": 8}}],
        },
    )

    key: Key | None = Field(
        default=None, description="The scheme's key; default: the template's name."
    )
    thresholds: dict[str, Any] = Field(
        default_factory=dict,
        description="Values in place of the template's defaults, by name "
        "(`GET /v1/schemes/templates` lists them with their types).",
    )
    notify: bool = Field(
        default=True,
        description="`false`: the tier changes installing it causes send no webhooks.",
    )


class TemplateThreshold(BaseModel):
    kind: Literal["money", "count", "days", "keys", "probability"] = Field(
        description="`money`: an amount (number or decimal string); `count`: a whole number; "
        "`days`: whole days, 1-3650; `keys`: a list of strings; `probability`: 0 to 1."
    )
    default: Any
    description: str


class TemplateOut(BaseModel):
    name: str = Field(examples=["value"])
    title: str
    description: str
    thresholds: dict[str, TemplateThreshold]
    scheme: dict[str, Any] = Field(
        description="The scheme it installs with the default thresholds (a `PUT "
        "/v1/schemes/{key}` body)."
    )
    segments: dict[str, dict[str, Any]] = Field(
        description="The segments it saves beside the scheme, by key (`PUT /v1/segments/{key}` "
        "bodies); installing them needs the scope `segments:write` too."
    )


class TierOut(BaseModel):
    key: str
    name: str
    condition: dict[str, Any]


class SchemeVersion(BaseModel):
    key: str = Field(examples=["value"])
    version: int = Field(examples=[3])
    name: str
    description: str | None
    tiers: list[TierOut]
    default_tier: str
    downgrade_grace_days: int
    min_days_in_tier: int
    grace_on_change: bool
    saved_at: datetime
    saved_by: UUID | None = Field(description="Id of the API key that saved this version.")
    job_id: UUID | None = Field(
        description="The background job applying this version to every customer "
        "(`GET /v1/jobs/{id}`)."
    )


class Scheme(SchemeVersion):
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = Field(description="Set once the scheme is archived.")


class PreviewCell(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_tier: str | None = Field(
        alias="from", description="The customer's tier now; null: no tier yet in the scheme."
    )
    to_tier: str = Field(alias="to", description="The tier the proposal gives them now.")
    count: int = Field(description="How many customers.")
    sample: list[str] = Field(description="Up to 10 of them, by customer id.")


class SchemePreview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scheme": "value",
                    "transitions": [
                        {"from": "regular", "to": "vip", "count": 120, "sample": ["crm-7"]},
                        {"from": None, "to": "potential", "count": 3, "sample": ["crm-9"]},
                    ],
                    "held_back": [
                        {"from": "vip", "to": "regular", "count": 12, "sample": ["crm-42"]}
                    ],
                    "webhook_messages": 120,
                }
            ]
        }
    )

    scheme: str
    transitions: list[PreviewCell] = Field(
        description="The moves saving the proposal would make at once, by from and to tier."
    )
    held_back: list[PreviewCell] = Field(
        description="Downgrades the proposal calls for that downgrade grace or minimum tenure "
        "would hold back for now (with `grace_on_change: false` they are transitions)."
    )
    webhook_messages: int = Field(
        description="`customer.tier_changed` messages saving it would send to the endpoints "
        "subscribed now (0 with `notify: false`). Entries and exits of segments that read "
        "the scheme are not counted."
    )
