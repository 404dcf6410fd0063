"""FX rates: base-currency units per unit of a foreign currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.errors import Unprocessable
from app.fx import repository


class MissingRate(Unprocessable):
    slug, title = "missing-fx-rate", "No FX rate for this currency"


async def replace_rates(
    conn: AsyncConnection,
    workspace_id: UUID,
    base_currency: str,
    rates: dict[str, Decimal],
    now: datetime,
) -> None:
    if base_currency in rates:
        raise Unprocessable(
            f"rates.{base_currency}: the base currency needs no rate",
            errors=[
                {
                    "field": f"rates.{base_currency}",
                    "message": "the workspace's base currency needs no rate",
                    "code": "base_currency",
                }
            ],
        )
    await repository.replace_all(conn, workspace_id, rates, now)


async def current_rates(conn: AsyncConnection, workspace_id: UUID) -> list[Any]:
    return await repository.all_rates(conn, workspace_id)


async def rate_to_base(
    conn: AsyncConnection, workspace_id: UUID, base_currency: str, currency: str
) -> Decimal:
    if currency == base_currency:
        return Decimal(1)
    value = await repository.rate(conn, workspace_id, currency)
    if value is None:
        raise missing_rate(base_currency, currency)
    return value


def missing_rate(base_currency: str, currency: str) -> MissingRate:
    return MissingRate(
        f"currency: no rate from {currency} to {base_currency}; set one with PUT /v1/fx-rates",
        errors=[
            {
                "field": "currency",
                "message": f"no FX rate set for {currency}",
                "code": "missing_fx_rate",
            }
        ],
    )
