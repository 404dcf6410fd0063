"""Request and response models for webhook endpoints, messages, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.validation import SHOWN_ONCE, Description, Key, SecretShownOnce, no_control_characters

EventType = Literal[
    "customer.tier_changed",
    "customer.segment_entered",
    "customer.segment_exited",
    "customer.deleted",
    "ping",
]
DeliveryStatus = Literal["pending", "delivered", "failed"]

EVENT_TYPES_DESCRIPTION = (
    "What the endpoint receives: `customer.tier_changed`, `customer.segment_entered`, "
    "`customer.segment_exited`, `customer.deleted`, `ping` (sent only by "
    "`POST /v1/webhooks/endpoints/{endpoint_id}/test`). Each at most once. Null or omitted: "
    "every type, including types added later."
)
FILTER_DESCRIPTION = (
    "Narrows the `customer.tier_changed` and `customer.segment_*` messages the endpoint "
    "receives; null or omitted: all of them. `customer.deleted` and `ping` are never "
    "filtered."
)

EXAMPLE_FILTER: dict[str, Any] = {"schemes": ["value"], "tiers": ["vip"], "direction": "up"}
EXAMPLE_ENDPOINT: dict[str, Any] = {
    "id": "0b6c2f1e-5d7a-4c59-9a43-3f0e8a1d2b7c",
    "url": "https://crm.example.com/hooks/tierline",
    "description": "CRM sync",
    "event_types": ["customer.tier_changed"],
    "filter": EXAMPLE_FILTER,
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "failing_since": None,
    "created_at": "2026-11-20T12:00:00Z",
    "updated_at": "2026-11-20T12:00:00Z",
}
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 (an example for the docs)


def _unique(values: list[str]) -> list[str]:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return values


EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, description=EVENT_TYPES_DESCRIPTION),
    AfterValidator(_unique),
]
Keys = Annotated[list[Key], Field(min_length=1, max_length=100), AfterValidator(_unique)]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Where messages are POSTed: http(s), no credentials. A host that resolves "
        "to an address that is not publicly routable (private, loopback, link-local, "
        "reserved, IPv6 outside 2000::/3, or an IPv6 form of such an IPv4 address: NAT64, "
        "6to4, Teredo, IPv4-mapped) is refused unless the operator allows its network "
        "(`TIERLINE_WEBHOOK_ALLOWED_NETWORKS`). The refusal names the kind of address, "
        "never the addresses the host resolved to.",
        examples=["https://crm.example.com/hooks/tierline"],
    ),
    # A URL carries no raw control character (U+0000 could not even be stored).
    AfterValidator(no_control_characters),
]
EndpointDescription = Annotated[Description, Field(examples=["CRM sync"])]


class EndpointFilter(BaseModel):
    """Each part given must hold; a part left out admits everything."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_FILTER]})

    schemes: Keys | None = Field(
        default=None,
        description="`customer.tier_changed` only for these schemes (keys of schemes in this "
        "workspace).",
    )
    tiers: Keys | None = Field(
        default=None,
        description="`customer.tier_changed` only when the customer leaves or enters one of "
        "these tiers.",
    )
    segments: Keys | None = Field(
        default=None,
        description="`customer.segment_entered` and `customer.segment_exited` only for these "
        "segments (keys of segments in this workspace).",
    )
    direction: Literal["up", "down", "any"] = Field(
        default="any",
        description="`customer.tier_changed` only for moves `up` (towards the scheme's first "
        "tier; a customer's first tier, whose message says `entered`, counts as up) or "
        "`down`; `any`: both. A move whose direction cannot be told (from a tier the scheme "
        "no longer has: `direction` null) is always sent.",
    )


class EndpointIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.example.com/hooks/tierline",
                    "description": "CRM sync",
                    "event_types": ["customer.tier_changed", "customer.deleted"],
                    "filter": EXAMPLE_FILTER,
                }
            ]
        },
    )

    url: Url
    event_types: EventTypes | None = None
    description: EndpointDescription | None = None
    filter: EndpointFilter | None = Field(default=None, description=FILTER_DESCRIPTION)
    enabled: bool = Field(
        default=True, description="A disabled endpoint is sent nothing new; its queue waits."
    )


class EndpointPatch(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"enabled": True},
                {"url": "https://crm.example.com/hooks/v2", "description": None},
            ]
        },
    )

    url: Url | None = None
    event_types: EventTypes | None = Field(
        default=None, description=EVENT_TYPES_DESCRIPTION + " Send null for every type."
    )
    description: EndpointDescription | None = Field(default=None, description="null clears it.")
    filter: EndpointFilter | None = Field(
        default=None, description=FILTER_DESCRIPTION + " Send null to drop the filter."
    )
    enabled: bool | None = Field(
        default=None,
        description="`true` re-enables an endpoint disabled by hand or after failing for "
        "days (clearing `disabled_*` and `failing_since`); `false` disables it.",
    )

    @field_validator("url", "enabled")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only an explicit null reaches here (defaults are not validated): these cannot be
        # cleared.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class Endpoint(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ENDPOINT]})

    id: UUID
    url: str
    description: str | None
    event_types: list[EventType] | None = Field(
        description="The types the endpoint receives; null: every type, including types "
        "added later."
    )
    filter: EndpointFilter | None
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why the endpoint is disabled: by hand, a `410 Gone`, or failing for days.",
        examples=[None],
    )
    disabled_at: datetime | None
    failing_since: datetime | None = Field(
        description="Since when every delivery has failed; null while deliveries succeed. "
        "The endpoint is disabled when this is days old."
    )
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(Endpoint):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**EXAMPLE_ENDPOINT, "secret": EXAMPLE_SECRET, "secret_shown_once": False}]
        }
    )

    secret: Annotated[str | None, SHOWN_ONCE] = Field(
        description="The signing secret (Standard Webhooks: `whsec_` and a base64 key). Shown "
        "only when the endpoint is created and when the secret is rotated; store it now. "
        "`null` in an answer replayed for an `Idempotency-Key` (`secret_shown_once`).",
        examples=[EXAMPLE_SECRET],
    )
    secret_shown_once: SecretShownOnce = False


class PingSent(BaseModel):
    message_id: UUID = Field(
        description="The `ping` message: follow it with `GET /v1/webhooks/messages/{message_id}`."
    )


class Requeued(BaseModel):
    requeued: int = Field(description="How many deliveries were queued again.", examples=[3])


class Delivery(BaseModel):
    """A message's delivery to one endpoint."""

    endpoint_id: UUID
    status: DeliveryStatus = Field(
        description="`pending` (queued or being retried), `delivered` (a 2xx answer), "
        "`failed` (the retry schedule ran out; replay or recover to try again)."
    )
    attempts: int = Field(description="Attempts since the delivery was last queued.")
    next_attempt_at: datetime = Field(description="When a pending delivery is next tried.")
    last_attempt_at: datetime | None
    last_status_code: int | None = Field(examples=[503])
    last_error: str | None = Field(examples=["HTTP 503"])
    delivered_at: datetime | None


class Message(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8",
                    "type": "customer.tier_changed",
                    "customer_id": "crm-42",
                    "sequence": 1042,
                    "created_at": "2026-11-20T12:00:00Z",
                    "payload": {
                        "type": "customer.tier_changed",
                        "timestamp": "2026-11-20T12:00:00Z",
                        "data": {
                            "customer_id": "crm-42",
                            "scheme": "value",
                            "from_tier": "regular",
                            "to_tier": "vip",
                            "sequence": 1042,
                        },
                    },
                    "deliveries": [
                        {
                            "endpoint_id": "0b6c2f1e-5d7a-4c59-9a43-3f0e8a1d2b7c",
                            "status": "delivered",
                            "attempts": 1,
                            "next_attempt_at": "2026-11-20T12:00:00Z",
                            "last_attempt_at": "2026-11-20T12:00:00Z",
                            "last_status_code": 200,
                            "last_error": None,
                            "delivered_at": "2026-11-20T12:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    id: UUID = Field(description="Sent as the `webhook-id` header; the same on every retry.")
    type: str
    customer_id: str | None = Field(description="Null for a `ping`.")
    sequence: int = Field(
        description="Increases with every message; a customer's messages carry it as "
        "`data.sequence`, to be ordered by."
    )
    created_at: datetime
    payload: dict[str, Any] = Field(description="The body that is signed and sent.")
    deliveries: list[Delivery]


class Attempt(BaseModel):
    endpoint_id: UUID
    attempted_at: datetime
    status_code: int | None = Field(description="Null when no answer came.", examples=[503])
    latency_ms: float = Field(examples=[182.4])
    response_excerpt: str | None = Field(description="The start of the response body.")
    error: str | None = Field(examples=["connect timeout"])
