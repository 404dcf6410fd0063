"""Request and response models for workspaces and API keys."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.auth.keys import Scope
from app.currencies import ISO_4217
from app.validation import SHOWN_ONCE, DisplayName, SecretShownOnce


def _known_currency(code: str) -> str:
    if code not in ISO_4217:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return code


CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_known_currency),
    Field(description="ISO 4217 code, upper case.", examples=["EUR"]),
]
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
    Field(description="Lowercase letters, digits and '-', at most 63.", examples=["acme"]),
]


class Workspace(BaseModel):
    id: UUID
    slug: str = Field(examples=["acme"])
    name: str = Field(examples=["Acme Industrial"])
    base_currency: str = Field(examples=["EUR"])
    clv_discount_rate: Decimal = Field(
        description="Annual rate discounting the `predicted_clv_365d` metric: each month's "
        "expected purchases are divided by (1 + rate)^(month/12). 0 means undiscounted.",
        examples=["0.1"],
    )
    clv_refit_days: int = Field(
        description="Days between scheduled refits of the CLV model once one has been "
        "fitted; 0 refits only on request.",
        examples=[7],
    )
    created_at: datetime


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: DisplayName = Field(examples=["Acme Industrial"])
    base_currency: CurrencyCode = "EUR"


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Acme", "base_currency": "USD"},
                {"clv_discount_rate": "0.1", "clv_refit_days": 7},
            ]
        },
    )

    name: DisplayName | None = None
    base_currency: CurrencyCode | None = None
    clv_discount_rate: Annotated[Decimal, Field(ge=0, lt=1, allow_inf_nan=False)] | None = Field(
        default=None,
        description="From 0 (included) to 1 (excluded). Changing it recomputes every "
        "customer's `predicted_clv_365d` (history reason `prediction_refresh`).",
    )
    clv_refit_days: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None, description="0 to 365; 0 turns scheduled refits off."
    )


class ApiKey(BaseModel):
    id: UUID
    name: str = Field(examples=["crm-sync"])
    prefix: str = Field(
        description="The key's first characters, to recognise it.", examples=["tl_Zk3w9Qa"]
    )
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName = Field(examples=["crm-sync"])
    scopes: list[Scope] = Field(
        min_length=1,
        description="What the key may do. `admin` implies every scope of the workspace.",
        examples=[["events:write", "customers:read"]],
    )


class ApiKeyCreated(ApiKey):
    key: Annotated[str | None, SHOWN_ONCE] = Field(
        description="The secret key. Shown only in this response; store it now. `null` in an "
        "answer replayed for an `Idempotency-Key` (`secret_shown_once`).",
        examples=["tl_3q2-7VbXo0Zk8c6cQ9mJm1f3yUeL4dN2sH5tR8wA1bC"],
    )
    secret_shown_once: SecretShownOnce = False


class WorkspaceCreated(BaseModel):
    workspace: Workspace
    admin_key: ApiKeyCreated
