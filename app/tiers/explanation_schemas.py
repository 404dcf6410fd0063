"""Response models for the explanation of a customer's tier in a scheme.

Conditions keep their shape: `all` / `any` / `not` nodes with `holds`, comparisons with the
customer's value. What is missing and what would be lost are trees of `all` / `any` over
single comparisons, pruned to what has to change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.money import Money
from app.tiers.assignment_schemas import TierAssignment

Amount = int | Money | str
"""Counts as integers; money as ``Money``, in the base currency; other numbers as exact
decimal strings."""

ACTUAL = (
    "The customer's value as the profile shows it: money metrics in the workspace's base "
    "currency as `Money` (averages as `MoneyAverage`), the very number the comparison reads; "
    "counts as integers; other numbers as decimal strings; null when it has none."
)
THRESHOLD = (
    "The threshold, as written in the condition (for money, compared exactly with the "
    '`Money` of `actual`: a threshold of `"91.91"` holds for `"91.91"`).'
)


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
    value: Any = Field(description=THRESHOLD, examples=[5000])
    actual: Any = Field(description=ACTUAL, examples=["5400.00"])
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
    value: Any = Field(description=THRESHOLD, examples=[5000])
    actual: Any = Field(description=ACTUAL, examples=["4600.00"])
    missing: Amount | None = Field(
        description="How much the metric must change: counts in whole units, money in the "
        'base currency\'s minor units (`Money`: `"400.00"` in EUR, `"400"` in JPY), other '
        "numbers exactly. null when the comparison is not a numeric one on a metric, or the "
        "metric has no value.",
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
    value: Any = Field(description=THRESHOLD, examples=[5000])
    actual: Any = Field(description=ACTUAL, examples=["5400.00"])
    spare: Amount | None = Field(
        description="How far the value is from flipping the comparison, exactly: counts as "
        "integers, money as `Money` in the base currency, other numbers as decimal strings; "
        "null when it is not a numeric one on a metric.",
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
