"""Request and response models for events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from app.auth.schemas import CurrencyCode
from app.classification.schemas import Customer
from app.customers.schemas import CustomerId
from app.errors import Problem
from app.money import CurrencyAmount, Money
from app.tiers.assignment_schemas import TierChange
from app.validation import Amount, EventType, Identifier, JsonObject

MONEY_EVENT_TYPES = frozenset({"order", "refund"})
MAX_BATCH = 1000


def _in_range_year(value: datetime) -> datetime:
    if value.year < 1970:
        raise ValueError("must not be before 1970-01-01")
    return value


EXAMPLE_EVENT: dict[str, Any] = {
    "event_id": "ord-1001",
    "customer_id": "crm-42",
    "type": "order",
    "occurred_at": "2026-11-01T10:00:00Z",
    "amount": "129.90",
    "currency": "EUR",
    "properties": {"channel": "store"},
    "traits": {"industry": "machinery"},
}


class EventIn(BaseModel):
    """One thing a customer did."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_EVENT]})

    event_id: Identifier = Field(
        description="Your id for the event; the idempotency key within the workspace.",
        examples=["ord-1001"],
    )
    customer_id: CustomerId
    type: EventType
    occurred_at: Annotated[AwareDatetime, AfterValidator(_in_range_year)] = Field(
        description="When it happened, with a timezone. Not before 1970, at most 5 minutes ahead.",
        examples=["2026-11-01T10:00:00Z"],
    )
    amount: Amount | None = Field(
        default=None,
        validate_default=True,
        description="Required for `order` and `refund`; exact decimal string, in `currency`. "
        "Converted on arrival into the workspace's base currency at its rate and rounded "
        "then, once, half-even, to that currency's minor units: the `Money` every metric "
        "sums (`amount_base` of the stored event).",
    )
    currency: CurrencyCode | None = Field(
        default=None, description="Defaults to the workspace's `base_currency`."
    )
    properties: JsonObject = Field(default_factory=dict, examples=[{"channel": "store"}])
    traits: JsonObject | None = Field(
        default=None,
        description="Traits to merge into the customer's (a `null` value removes a trait). "
        "If the merged traits would pass 16 KiB as JSON, the event is refused (422, code "
        "`too_large`) and nothing of it is stored.",
        examples=[{"industry": "machinery"}],
    )

    @field_validator("amount")
    @classmethod
    def _money_events_carry_an_amount(
        cls, amount: Decimal | None, info: ValidationInfo
    ) -> Decimal | None:
        event_type = info.data.get("type")
        if amount is None and event_type in MONEY_EVENT_TYPES:
            raise ValueError(f"is required for '{event_type}' events")
        return amount


class EventCreated(BaseModel):
    status: Literal["created", "duplicate"] = Field(examples=["created"])
    event_id: str = Field(examples=["ord-1001"])
    customer: Customer | None = Field(
        description="The customer's profile after the event: traits, metrics and tiers. "
        "`null` unless the key also holds `customers:read`: a key that may only send events "
        "does not read profiles."
    )
    tier_changes: list[TierChange] = Field(
        description="The tier changes this event caused, in every scheme (none for a replay)."
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"events": [EXAMPLE_EVENT]}]}
    )

    events: list[dict[str, Any]] = Field(
        max_length=MAX_BATCH,
        description="Up to 1,000 events, each as in `POST /v1/events`; each is judged alone.",
    )
    mode: Literal["normal", "backfill"] = Field(
        default="normal",
        description="`normal`: each event goes through the write path of `POST /v1/events`. "
        "`backfill`: for loading history, the same path as `tierline import`: the batch is "
        "stored and folded into the customers set-based, several times faster. The results "
        "and the metrics are the same, except that traits are merged in `occurred_at` order "
        "within the batch (the normal mode merges them in arrival order).",
    )
    notify: bool = Field(
        default=False,
        description="Backfill mode: whether webhooks go out for the net change of each "
        "customer the batch touches (one message per scheme or segment the customer moved in, "
        "reason `import`). Off by default, so loading history does not flood subscribers.",
    )


class BatchItemResult(BaseModel):
    event_id: str | None = Field(examples=["ord-1001"])
    status: Literal["created", "duplicate", "rejected"]
    problem: Problem | None = Field(
        default=None, description="Why the item was rejected (problem+json fields)."
    )
    tier_changes: list[TierChange] = Field(
        default_factory=list, description="The tier changes a created event caused."
    )


class BatchResult(BaseModel):
    results: list[BatchItemResult] = Field(description="One per event, in request order.")


class StoredEvent(BaseModel):
    event_id: str
    customer_id: str
    type: str
    occurred_at: datetime
    amount: CurrencyAmount | None = Field(
        description="The amount as sent, in `currency`.", examples=["129.90"]
    )
    currency: str | None = Field(examples=["USD"])
    amount_base: Money | None = Field(
        description="The amount in the workspace's base currency at ingestion, rounded to its "
        "minor units: the number the metrics sum.",
        examples=["119.51"],
    )
    fx_rate: str | None = Field(examples=["0.92"])
    properties: dict[str, Any]
    received_at: datetime
