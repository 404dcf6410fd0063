"""Response models that join a customer's facts with what classification made of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.customers.schemas import Metrics
from app.tiers.assignment_schemas import TierAssignment


class Customer(BaseModel):
    customer_id: str = Field(examples=["crm-42"])
    traits: dict[str, Any] = Field(examples=[{"industry": "machinery", "size": "large"}])
    metrics: Metrics
    pending_metrics: list[str] = Field(
        description="User-defined metrics still being backfilled; they read as null until done.",
        examples=[[]],
    )
    tiers: dict[str, TierAssignment] = Field(
        description="Current tier per active scheme, with a downgrade that grace holds back.",
        examples=[
            {
                "value": {
                    "tier": "vip",
                    "version": 2,
                    "since": "2026-03-02T10:15:00Z",
                    "pending_downgrade": {
                        "to": "regular",
                        "since": "2026-11-01T00:00:00Z",
                        "at": "2026-12-01T00:00:00Z",
                    },
                }
            }
        ],
    )
    next_review_at: datetime | None = Field(
        description="Next moment at which this customer is re-classified with no new event: "
        "a windowed metric changes, a time comparison in a rule flips, or a pending "
        "downgrade falls due."
    )
    created_at: datetime
    updated_at: datetime
