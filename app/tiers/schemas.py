"""Request and response models for schemes and tiers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
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
from app.validation import Key

MAX_TIERS = 50
MAX_DAYS = 3650

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


class CustomerTiers(BaseModel):
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


# The explanation of a tier. Conditions keep their shape: `all` / `any` / `not` nodes with
# `holds`, comparisons with the customer's value. What is missing and what would be lost are
# trees of `all` / `any` over single comparisons, pruned to what has to change.

Amount = int | str
"""Counts as integers; money and other numbers as exact decimal strings."""


EXAMPLE_EXPLANATION: dict[str, Any] = {
    "customer_id": "crm-42",
    "scheme": "value",
    "version": 2,
    "evaluated_at": "2026-11-20T12:00:00Z",
    "current": {
        "tier": "regular",
        "version": 2,
        "since": "2026-08-12T09:30:00Z",
        "pending_downgrade": None,
        "override": None,
    },
    "qualifies_for": "regular",
    "pending_metrics": [],
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "holds": False,
            "condition": {
                "all": [
                    {
                        "field": "metrics.spend_365d",
                        "op": "gte",
                        "value": 5000,
                        "actual": "4600.00",
                        "holds": False,
                        "changes_at": None,
                    },
                    {
                        "any": [
                            {
                                "field": "metrics.orders_90d",
                                "op": "gte",
                                "value": 2,
                                "actual": 1,
                                "holds": False,
                                "changes_at": None,
                            },
                            {
                                "field": "traits.industry",
                                "op": "in",
                                "value": ["machinery", "chemicals"],
                                "actual": "retail",
                                "holds": False,
                                "changes_at": None,
                            },
                        ],
                        "holds": False,
                    },
                ],
                "holds": False,
            },
        },
        {
            "key": "regular",
            "name": "Regular",
            "holds": True,
            "condition": {
                "field": "metrics.orders_90d",
                "op": "gte",
                "value": 1,
                "actual": 1,
                "holds": True,
                "changes_at": "2027-02-08T00:00:00Z",
            },
        },
    ],
    "next_tier": {
        "key": "vip",
        "name": "VIP",
        "holds": False,
        "missing": {
            "all": [
                {
                    "path": "all.0",
                    "field": "metrics.spend_365d",
                    "op": "gte",
                    "value": 5000,
                    "actual": "4600.00",
                    "missing": "400.00",
                    "direction": "increase",
                    "text": "400.00 more spend_365d",
                },
                {
                    "any": [
                        {
                            "path": "all.1.any.0",
                            "field": "metrics.orders_90d",
                            "op": "gte",
                            "value": 2,
                            "actual": 1,
                            "missing": 1,
                            "direction": "increase",
                            "text": "1 more orders_90d",
                        },
                        {
                            "path": "all.1.any.1",
                            "field": "traits.industry",
                            "op": "in",
                            "value": ["machinery", "chemicals"],
                            "actual": "retail",
                            "missing": None,
                            "direction": None,
                            "text": 'traits.industry must be one of ["machinery", "chemicals"] '
                            '(now "retail")',
                        },
                    ]
                },
            ]
        },
    },
    "keep_tier": {
        "tier": "regular",
        "holds": True,
        "lose_if": {
            "path": "",
            "field": "metrics.orders_90d",
            "op": "gte",
            "value": 1,
            "actual": 1,
            "spare": 0,
            "changes_at": "2027-02-08T00:00:00Z",
            "text": "orders_90d falls below 1 (now 1: 0 to spare; flips at 2027-02-08T00:00:00Z "
            "with no new events)",
        },
        "missing": None,
    },
}


class ExplainedComparison(BaseModel):
    field: str = Field(examples=["metrics.spend_365d"])
    op: str = Field(examples=["gte"])
    value: Any = Field(description="The threshold, as written in the condition.", examples=[5000])
    actual: Any = Field(
        description="The customer's value as the profile shows it (money as strings, counts "
        "as integers, null when it has none).",
        examples=["5400.00"],
    )
    holds: bool
    changes_at: datetime | None = Field(
        description="The next moment this comparison flips with no new event, when known: "
        "time comparisons (`within_days`, `older_than_days`, `days_since_last_order`) and the "
        "built-in windowed metrics (`spend_<N>d`, `orders_<N>d`) as days leave the window."
    )


class ExplainedAll(BaseModel):
    all: list[ExplainedNode]
    holds: bool


class ExplainedAny(BaseModel):
    any: list[ExplainedNode]
    holds: bool


class ExplainedNot(BaseModel):
    model_config = ConfigDict(
        validate_by_alias=True, validate_by_name=True, serialize_by_alias=True
    )

    not_: ExplainedNode = Field(alias="not")
    holds: bool


ExplainedNode = ExplainedAll | ExplainedAny | ExplainedNot | ExplainedComparison


class ExplainedTier(BaseModel):
    key: str = Field(examples=["vip"])
    name: str | None = Field(description="null for the default tier.", examples=["VIP"])
    holds: bool = Field(description="Whether its condition holds now (the default always does).")
    condition: ExplainedNode | None = Field(description="null for the default tier.")


class Gap(BaseModel):
    path: str = Field(
        description="Where the comparison sits in the tier's condition, e.g. `all.1.any.0`.",
        examples=["all.0"],
    )
    field: str = Field(examples=["metrics.lifetime_spend"])
    op: str = Field(examples=["gte"])
    value: Any = Field(examples=[5000])
    actual: Any = Field(examples=["4600.00"])
    missing: Amount | None = Field(
        description="How much the metric must change: counts in whole units, money in "
        "cents. null when the comparison is not a numeric one on a metric, or the metric "
        "has no value.",
        examples=["400.00"],
    )
    direction: Literal["increase", "decrease"] | None = Field(examples=["increase"])
    text: str = Field(examples=["400.00 more lifetime_spend"])


class GapAll(BaseModel):
    all: list[GapNode] = Field(description="Every one of these is needed.")


class GapAny(BaseModel):
    any: list[GapNode] = Field(
        description="Any one of these is enough; cheapest first (fewest comparisons to "
        "change, then the smallest change relative to the threshold)."
    )


GapNode = Gap | GapAll | GapAny


class NextTier(BaseModel):
    key: str = Field(examples=["vip"])
    name: str = Field(examples=["VIP"])
    holds: bool = Field(
        description="true only while a stored tier lags behind the data (e.g. a new version "
        "still being applied): the customer already qualifies."
    )
    missing: GapNode | None = Field(description="What its condition lacks; null when it holds.")


class Margin(BaseModel):
    path: str = Field(examples=[""])
    field: str = Field(examples=["metrics.spend_365d"])
    op: str = Field(examples=["gte"])
    value: Any = Field(examples=[5000])
    actual: Any = Field(examples=["5400.00"])
    spare: Amount | None = Field(
        description="How far the value is from flipping the comparison, exactly; null when "
        "it is not a numeric one on a metric.",
        examples=["400.00"],
    )
    changes_at: datetime | None = Field(
        description="When the comparison flips with no new event, when known."
    )
    text: str = Field(
        examples=[
            "spend_365d falls below 5000 (now 5400.00: 400.00 to spare; due "
            "2027-02-08T00:00:00Z with no new events)"
        ]
    )


class MarginAll(BaseModel):
    all: list[MarginNode] = Field(description="The tier is lost only if all of these happen.")


class MarginAny(BaseModel):
    any: list[MarginNode] = Field(
        description="Any one of these loses the tier; closest first (fewest comparisons, "
        "then the smallest margin relative to the threshold)."
    )


MarginNode = Margin | MarginAll | MarginAny


class KeepTier(BaseModel):
    tier: str = Field(examples=["vip"])
    holds: bool = Field(description="Whether the tier's condition holds now.")
    lose_if: MarginNode | None = Field(
        description="While it holds: what would make it stop holding. A downgrade may then "
        "still wait out `downgrade_grace_days` and `min_days_in_tier`."
    )
    missing: GapNode | None = Field(
        description="While it does not hold (a downgrade is pending): what would make it hold "
        "again and cancel the downgrade."
    )


class TierExplanation(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_EXPLANATION]})

    customer_id: str = Field(examples=["crm-42"])
    scheme: str = Field(examples=["value"])
    version: int = Field(description="The scheme's current version, the one explained.")
    evaluated_at: datetime = Field(description="Now: windowed metrics are as of this moment.")
    current: TierAssignment | None = Field(
        description="The stored tier, as the profile shows it, with a downgrade that grace or "
        "tenure holds back; null when the customer has no tier in the scheme yet."
    )
    qualifies_for: str = Field(
        description="The first tier whose condition holds now, else the default tier: the "
        "tier classification gives (it equals `current.tier` unless a downgrade is pending).",
        examples=["vip"],
    )
    pending_metrics: list[str] = Field(
        description="Metrics the scheme reads that are still being backfilled; until they are "
        "done the stored tier is kept and they read as null here."
    )
    tiers: list[ExplainedTier] = Field(
        description="From the top tier down to the current tier, or the qualified one if "
        "lower, each condition with every comparison's threshold, the customer's value and "
        "whether it holds."
    )
    next_tier: NextTier | None = Field(
        description="The first tier above the current one (above the qualified one when the "
        "customer has no tier yet); null at the top."
    )
    keep_tier: KeepTier | None = Field(
        description="How the current tier is kept or lost; null when the customer has no tier "
        "or holds the default tier (left only by qualifying for a higher one)."
    )
