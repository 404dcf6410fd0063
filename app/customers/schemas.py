"""Request and response models for customers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.money import Money, MoneyAverage
from app.validation import Identifier, JsonObject


def _no_slash(value: str) -> str:
    if "/" in value:
        raise ValueError("must not contain '/', since it is used as a URL path segment")
    return value


CustomerId = Annotated[
    Identifier,
    AfterValidator(_no_slash),
    Field(
        description="Your CRM's id for the customer (1-200 characters, no control characters, "
        "no '/'); used in every URL.",
        examples=["crm-42"],
    ),
]


class Metrics(BaseModel):
    """Built-in metrics, `<type>_count` for every event type the customer has, and the
    workspace's user-defined metrics (counts as integers, other values as decimal strings,
    null when there is no value yet or the metric is still being backfilled).

    Money is in the workspace's base currency, as `Money` (spend, refunds,
    `predicted_clv_365d`, and a user-defined `sum`, `min`, `max` or `last` of `amount`) or
    `MoneyAverage` (`avg_order_value`, `expected_order_value`, a user-defined `avg` of
    `amount`); a user-defined metric of another property is a plain decimal string."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {
                "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
            }
        },
    )

    order_count: int = Field(examples=[3])
    lifetime_spend: Money = Field(description="Orders minus refunds.", examples=["389.70"])
    refund_total: Money = Field(examples=["0.00"])
    avg_order_value: MoneyAverage | None = Field(
        description="Order amounts (before refunds) / order count, rounded half-even to 4 "
        "places; null without orders.",
        examples=["129.90"],
    )
    first_order_at: datetime | None
    last_order_at: datetime | None
    last_event_at: datetime | None
    days_since_last_order: int | None = Field(
        description="Midnights (UTC) since the last order's date.", examples=[19]
    )
    spend_30d: Money = Field(description="Net spend today and the 29 days before.")
    spend_90d: Money
    spend_365d: Money
    orders_30d: int
    orders_90d: int
    orders_365d: int
    rfm_r: int | None = Field(
        description="RFM scores, 1-5, as of the workspace's last RFM refresh; null without "
        "orders or before the first refresh."
    )
    rfm_f: int | None
    rfm_m: int | None
    rfm_fm: int | None
    p_alive: str | None = Field(
        description="The CLV model's predictions (null without a model or an order): the "
        "probability of being alive, rounded to 4 places.",
        examples=["0.8123"],
    )
    expected_orders_90d: str | None = Field(
        description="Purchase days expected in the next 90 days, rounded to 4 places."
    )
    expected_orders_365d: str | None
    expected_order_value: MoneyAverage | None = Field(
        description="Expected spend per purchase, rounded to cents (2 places, or the "
        "currency's minor units where it has more)."
    )
    predicted_clv_365d: Money | None = Field(
        description="Expected purchases times expected order value over 365 days, discounted by "
        "the workspace's `clv_discount_rate`, rounded to the currency's minor units."
    )


class TraitsReplace(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"traits": {"industry": "machinery", "size": "large"}}]},
    )

    traits: JsonObject = Field(description="The customer's whole set of traits.")


class TraitsPatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"traits": {"size": "medium", "region": None}}]},
    )

    traits: JsonObject = Field(description="Traits to merge; a `null` value removes the trait.")


class Erasure(BaseModel):
    customer_id: str
    erased: dict[str, int] = Field(
        description="Rows erased, by kind. All zero when there was nothing to erase.",
        examples=[{"customers": 1, "events": 12, "daily_rollups": 9, "metric_daily_rollups": 4}],
    )
