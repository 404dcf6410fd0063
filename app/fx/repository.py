"""Queries for FX rates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.repository import config_changed
from app.db import Record


async def rate(conn: AsyncConnection, workspace_id: UUID, currency: str) -> Decimal | None:
    result = await conn.execute(
        text("SELECT rate FROM fx_rates WHERE workspace_id = :ws AND currency = :currency"),
        {"ws": workspace_id, "currency": currency},
    )
    value: Decimal | None = result.scalar_one_or_none()
    return value


async def all_rates(conn: AsyncConnection, workspace_id: UUID) -> list[Record]:
    result = await conn.execute(
        text(
            "SELECT currency, rate, updated_at FROM fx_rates "
            "WHERE workspace_id = :ws ORDER BY currency"
        ),
        {"ws": workspace_id},
    )
    return list(result.all())


async def replace_all(
    conn: AsyncConnection, workspace_id: UUID, rates: dict[str, Decimal], now: datetime
) -> None:
    await config_changed(conn, workspace_id)
    await conn.execute(text("DELETE FROM fx_rates WHERE workspace_id = :ws"), {"ws": workspace_id})
    if rates:
        await conn.execute(
            text(
                "INSERT INTO fx_rates (workspace_id, currency, rate, updated_at) "
                "VALUES (:ws, :currency, :rate, :now)"
            ),
            [
                {"ws": workspace_id, "currency": currency, "rate": value, "now": now}
                for currency, value in rates.items()
            ],
        )
