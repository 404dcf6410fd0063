"""Request and response models for FX rates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.auth.schemas import CurrencyCode

Rate = Annotated[
    Decimal,
    Field(gt=0, max_digits=24, decimal_places=12, allow_inf_nan=False, examples=["0.92"]),
]


class RatesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"rates": {"USD": "0.92", "GBP": "1.17"}}]}
    )

    rates: dict[CurrencyCode, Rate] = Field(
        description="Base-currency units per one unit of each currency. Replaces every rate; "
        "events already stored keep the amount converted when they arrived."
    )


class RatesOut(BaseModel):
    base_currency: str = Field(examples=["EUR"])
    rates: dict[str, str] = Field(examples=[{"GBP": "1.17", "USD": "0.92"}])
    updated_at: datetime | None
