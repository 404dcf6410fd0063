"""Request and response models for customers' tiers: assignments, overrides, tier history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.tiers.policy import Reason
from app.validation import Key


class PendingDowngrade(BaseModel):
    to: str = Field(description="The tier the customer qualifies for now.")
    since: datetime = Field(description="When the customer stopped qualifying for its tier.")
    at: datetime = Field(description="When the downgrade happens unless the customer qualifies.")


class TierOverride(BaseModel):
    tier: str = Field(examples=["vip"], description="The tier pinned by hand.")
    reason: str = Field(examples=["key account signed in person"])
    set_at: datetime
    expires_at: datetime | None = Field(
        description="When the rules take over again; null: until the override is removed."
    )


class TierAssignment(BaseModel):
    tier: str = Field(examples=["vip"])
    version: int = Field(description="The scheme version that assigned it.")
    since: datetime
    pending_downgrade: PendingDowngrade | None
    override: TierOverride | None = Field(
        default=None,
        description="A tier pinned by hand (`PUT .../tiers/{scheme}/override`): the rules do "
        "not move the customer in this scheme until it expires or is removed.",
    )


class OverrideIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "tier": "vip",
                    "reason": "key account signed in person",
                    "expires_at": "2027-06-30T00:00:00Z",
                }
            ]
        },
    )

    tier: Key = Field(description="One of the scheme's tiers.")
    reason: str = Field(min_length=1, max_length=500, description="Why; kept with the override.")
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the rules take over again (with a timezone, in the future); omitted: "
        "until the override is removed.",
    )


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


class TiersAsOf(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "crm-42",
                    "as_of": "2026-03-01T00:00:00Z",
                    "tiers": {
                        "value": {
                            "tier": "regular",
                            "version": 1,
                            "since": "2026-02-11T09:30:00Z",
                            "pending_downgrade": None,
                            "override": None,
                        }
                    },
                }
            ]
        }
    )

    customer_id: str
    as_of: datetime = Field(description="The moment described: `as_of`, or now.")
    tiers: dict[str, TierAssignment] = Field(
        description="Tier per scheme. Now: every active scheme the customer has a tier in, "
        "as the profile shows it. At a past `as_of`: the latest change at or before it in the "
        "tier history, per scheme; `version` and `since` are those of that change and "
        "`pending_downgrade` and `override` are always null (the history keeps changes, not "
        "held downgrades or overrides). A scheme the customer had no tier in at that moment "
        "is left out."
    )
