"""The bodies Tierline POSTs to an endpoint, one model per message type, for the OpenAPI
document's ``webhooks`` section: what a receiver (or a client generator) can rely on.
``tests/webhooks/test_payloads.py`` validates real messages, built through the outbox,
against them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

_AT = "2026-11-20T12:00:00Z"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TierChangedData(_Strict):
    customer_id: str
    scheme: str
    scheme_version: int
    from_tier: str | None = Field(description="Null for the customer's first tier here.")
    to_tier: str
    direction: Literal["entered", "up", "down"] | None = Field(
        description="`entered`: the customer's first tier in the scheme; `up`: towards the "
        "scheme's first tier; `down`: towards its default tier; null when the old tier is "
        "no longer in the scheme."
    )
    reason: Literal[
        "event",
        "traits_changed",
        "review",
        "grace_expired",
        "rule_change",
        "metric_ready",
        "import",
        "override",
        "override_expired",
        "rfm_refresh",
        "model_refit",
        "prediction_refresh",
    ]
    changed_at: datetime
    metrics: dict[str, str | int | float | bool | None] = Field(
        description="The values the scheme's rules read, each as the customer's profile "
        "shows it (schema `Metrics`): money in the workspace's base currency as `Money` or "
        "`MoneyAverage` strings, counts as integers."
    )
    sequence: int = Field(
        description="Increases with each of the customer's messages: order by it, not by arrival."
    )


class SegmentChangedData(_Strict):
    customer_id: str
    segment: str
    segment_version: int
    reason: str = Field(description="What made the customer enter or leave, as for tiers.")
    changed_at: datetime
    sequence: int = Field(description="As in `customer.tier_changed`.")


class CustomerDeletedData(_Strict):
    customer_id: str
    deleted_at: datetime
    sequence: int = Field(description="As in `customer.tier_changed`.")


class PingData(_Strict):
    endpoint_id: UUID
    message: str


def _example(type_: str, data: JsonDict) -> ConfigDict:
    return ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"type": type_, "timestamp": _AT, "data": data}]},
    )


class TierChanged(_Strict):
    """A customer got a tier in a scheme, or moved to another."""

    model_config = _example(
        "customer.tier_changed",
        {
            "customer_id": "crm-42",
            "scheme": "value",
            "scheme_version": 2,
            "from_tier": "regular",
            "to_tier": "vip",
            "direction": "up",
            "reason": "event",
            "changed_at": _AT,
            "metrics": {"order_count": 12, "spend_365d": "5210.00"},
            "sequence": 1042,
        },
    )

    type: Literal["customer.tier_changed"]
    timestamp: datetime = Field(description="When the message was created.")
    data: TierChangedData


class SegmentEntered(_Strict):
    """A customer entered a saved segment."""

    model_config = _example(
        "customer.segment_entered",
        {
            "customer_id": "crm-42",
            "segment": "vip-machinery",
            "segment_version": 1,
            "reason": "event",
            "changed_at": _AT,
            "sequence": 1043,
        },
    )

    type: Literal["customer.segment_entered"]
    timestamp: datetime
    data: SegmentChangedData


class SegmentExited(_Strict):
    """A customer left a saved segment."""

    model_config = _example(
        "customer.segment_exited",
        {
            "customer_id": "crm-42",
            "segment": "vip-machinery",
            "segment_version": 1,
            "reason": "review",
            "changed_at": _AT,
            "sequence": 1044,
        },
    )

    type: Literal["customer.segment_exited"]
    timestamp: datetime
    data: SegmentChangedData


class CustomerDeleted(_Strict):
    """A customer was erased: erase what you keep about them too."""

    model_config = _example(
        "customer.deleted", {"customer_id": "crm-42", "deleted_at": _AT, "sequence": 1045}
    )

    type: Literal["customer.deleted"]
    timestamp: datetime
    data: CustomerDeletedData


class Ping(_Strict):
    """Sent by `POST /v1/webhooks/endpoints/{endpoint_id}/test` only."""

    model_config = _example(
        "ping",
        {
            "endpoint_id": "0b6c2f1e-5d7a-4c59-9a43-3f0e8a1d2b7c",
            "message": "Ping from Tierline",
        },
    )

    type: Literal["ping"]
    timestamp: datetime
    data: PingData


PAYLOADS: dict[str, type[BaseModel]] = {
    "customer.tier_changed": TierChanged,
    "customer.segment_entered": SegmentEntered,
    "customer.segment_exited": SegmentExited,
    "customer.deleted": CustomerDeleted,
    "ping": Ping,
}
"""The body of each message type; every type of ``app.webhooks.EVENT_TYPES``."""
