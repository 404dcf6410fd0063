"""Query parameter types and response models for tier analytics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.money import Money, MoneyAverage

SHARE = Field(
    description="A fraction as a decimal string with 4 places, rounded half-even.",
    examples=["0.2500"],
)

EXAMPLE_DISTRIBUTION: dict[str, Any] = {
    "scheme": "value",
    "as_of": "2026-11-20T12:00:00Z",
    "total": 8,
    "tiers": [
        {"tier": "vip", "count": 1, "share": "0.1250"},
        {"tier": "regular", "count": 5, "share": "0.6250"},
        {"tier": "potential", "count": 2, "share": "0.2500"},
    ],
}

EXAMPLE_TRANSITIONS: dict[str, Any] = {
    "scheme": "value",
    "from": "2026-10-21T12:00:00Z",
    "to": "2026-11-20T12:00:00Z",
    "transitions": [
        {"from": "potential", "to": "regular", "count": 31},
        {"from": "regular", "to": "vip", "count": 12},
        {"from": "vip", "to": "regular", "count": 3},
    ],
    "entered": [{"tier": "potential", "count": 40}, {"tier": "regular", "count": 7}],
    "left": [{"tier": "vip", "count": 1}],
}

EXAMPLE_PERFORMANCE: dict[str, Any] = {
    "scheme": "value",
    "from": "2026-10-22",
    "to": "2026-11-20",
    "currency": "EUR",
    "tiers": [
        {
            "tier": "vip",
            "customers": 120,
            "revenue": "184200.50",
            "orders": 310,
            "average_order_value": "612.26",
            "retention": "0.8167",
        },
        {
            "tier": "regular",
            "customers": 0,
            "revenue": "0.00",
            "orders": 0,
            "average_order_value": None,
            "retention": None,
        },
        {
            "tier": None,
            "customers": 45,
            "revenue": "3020.00",
            "orders": 38,
            "average_order_value": "79.47",
            "retention": "0.6889",
        },
    ],
}


class TierCount(BaseModel):
    tier: str = Field(description="The tier's key.", examples=["vip"])
    count: int = Field(description="Customers holding the tier.", examples=[1])
    share: str = SHARE


class Distribution(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DISTRIBUTION]})

    scheme: str = Field(description="The scheme's key.", examples=["value"])
    as_of: datetime = Field(description="The moment described: `as_of`, or now.")
    total: int = Field(description="Customers holding any tier of the scheme.", examples=[8])
    tiers: list[TierCount] = Field(
        description="The current version's tiers in its order (highest first, the default "
        "tier last), each even when nobody holds it; then any other tier someone still holds "
        "(one a newer version dropped), by key."
    )


class Transition(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    from_: str = Field(alias="from", description="The tier left.", examples=["regular"])
    to: str = Field(description="The tier entered.", examples=["vip"])
    count: int = Field(description="Changes from `from` to `to` in the period.", examples=[12])


class TierFlow(BaseModel):
    tier: str = Field(description="The tier's key.", examples=["potential"])
    count: int = Field(description="Customers who entered or left with this tier.", examples=[40])


class TierTransitions(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        json_schema_extra={"examples": [EXAMPLE_TRANSITIONS]},
    )

    scheme: str = Field(description="The scheme's key.", examples=["value"])
    from_: datetime = Field(alias="from", description="Start of the period, inclusive.")
    to: datetime = Field(description="End of the period, exclusive.")
    transitions: list[Transition] = Field(
        description="Counts of tier changes between two tiers, by `from` then `to`. A customer "
        "who moved twice counts twice."
    )
    entered: list[TierFlow] = Field(
        description="First tiers in the scheme given in the period (changes from no tier): "
        "new customers, and every customer when the scheme is created or saved again after "
        "being archived; by tier key."
    )
    left: list[TierFlow] = Field(
        description="Customers erased from the workspace in the period, by the tier they held "
        "then, by tier key."
    )


class TierPerformance(BaseModel):
    tier: str | None = Field(
        description="The tier held at the start of the period; `null` for customers who held "
        "no tier then but got their first tier or ordered during the period (newcomers).",
        examples=["vip"],
    )
    customers: int = Field(description="Customers in this row.", examples=[120])
    revenue: Money = Field(
        description="Their orders minus their refunds over the period's days, in the "
        "workspace's base currency.",
        examples=["184200.50"],
    )
    orders: int = Field(description="Their orders in the period.", examples=[310])
    average_order_value: MoneyAverage | None = Field(
        description="Order amounts (before refunds) divided by `orders`, rounded half-even to "
        "cents (2 places, or the currency's minor units where it has more); `null` without "
        "orders.",
        examples=["612.26"],
    )
    retention: str | None = Field(
        description="Share of `customers` who ordered at least once in the period (4 places, "
        "rounded half-even); `null` when `customers` is 0.",
        examples=["0.8167"],
    )


class Performance(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        json_schema_extra={"examples": [EXAMPLE_PERFORMANCE]},
    )

    scheme: str = Field(description="The scheme's key.", examples=["value"])
    from_: date = Field(alias="from", description="First day of the period (UTC), inclusive.")
    to: date = Field(description="Last day of the period (UTC), inclusive.")
    currency: str = Field(description="The currency of the money figures.", examples=["EUR"])
    tiers: list[TierPerformance] = Field(
        description="The current version's tiers in its order, each even when nobody held it "
        "at the start; then any other tier held at the start, by key; last the `null` row."
    )


Interval = Literal["day", "week", "month"]

EXAMPLE_SEGMENT_FLOWS: dict[str, Any] = {
    "segment": "big-spenders",
    "from": "2026-09-01",
    "to": "2026-11-20",
    "interval": "month",
    "size": 57,
    "periods": [
        {"start": "2026-09-01", "end": "2026-09-30", "entered": 12, "exited": 3, "size": 43},
        {"start": "2026-10-01", "end": "2026-10-31", "entered": 15, "exited": 6, "size": 52},
        {"start": "2026-11-01", "end": "2026-11-20", "entered": 9, "exited": 4, "size": 57},
    ],
}


class SegmentPeriod(BaseModel):
    start: date = Field(description="First day (UTC) of the period, inclusive.")
    end: date = Field(description="Last day (UTC) of the period, inclusive.")
    entered: int = Field(description="Entries into the segment in the period.", examples=[12])
    exited: int = Field(description="Exits from the segment in the period.", examples=[3])
    size: int = Field(
        description="Members at the end of the period's last day (or now, for a period that "
        "ends today).",
        examples=[43],
    )


class SegmentFlows(BaseModel):
    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        json_schema_extra={"examples": [EXAMPLE_SEGMENT_FLOWS]},
    )

    segment: str = Field(description="The segment's key.", examples=["big-spenders"])
    from_: date = Field(alias="from", description="First day of the period (UTC), inclusive.")
    to: date = Field(description="Last day of the period (UTC), inclusive.")
    interval: Interval = Field(description="The length of each period.", examples=["month"])
    size: int = Field(description="The segment's members now.", examples=[57])
    periods: list[SegmentPeriod] = Field(
        description="One row per calendar day, ISO week (Monday first) or calendar month "
        "touching the period, oldest first, cut to `from` and `to`; every one even without a "
        "move."
    )
