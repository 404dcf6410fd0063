"""Request and response models for schemes and tiers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.rules.schema import Condition
from app.tiers.policy import Reason

KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_TIERS = 50
MAX_DAYS = 3650

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

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
    name: Name = Field(description="Display name.")
    condition: Condition = Field(description="The tier holds when this condition holds.")


class SchemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_SCHEME]})

    name: Name
    description: str | None = Field(default=None, max_length=2000)
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


class PendingDowngrade(BaseModel):
    to: str = Field(description="The tier the customer qualifies for now.")
    since: datetime = Field(description="When the customer stopped qualifying for its tier.")
    at: datetime = Field(description="When the downgrade happens unless the customer qualifies.")


class TierAssignment(BaseModel):
    tier: str = Field(examples=["vip"])
    version: int = Field(description="The scheme version that assigned it.")
    since: datetime
    pending_downgrade: PendingDowngrade | None


class TierChange(BaseModel):
    scheme: str = Field(examples=["value"])
    version: int
    from_tier: str | None = Field(
        description="null for the customer's first tier in the scheme.", examples=["regular"]
    )
    to_tier: str = Field(examples=["vip"])
    reason: Reason


class TierHistoryItem(TierChange):
    changed_at: datetime
    cause: dict[str, Any] = Field(
        description="What caused it: `event_id`, or the `scheme` and `version` of a rule "
        "change, or the `job_id` of an import.",
        examples=[{"event_id": "ord-1001"}],
    )
