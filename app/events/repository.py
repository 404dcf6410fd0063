"""Queries for the event log."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record

INSERT_SQL = """
    INSERT INTO events (
        workspace_id, event_id, customer_id, type, occurred_at, amount, currency,
        amount_base, fx_rate, properties, fingerprint, received_at
    ) VALUES (
        :workspace_id, :event_id, :customer_id, :type, :occurred_at, :amount, :currency,
        :amount_base, :fx_rate, CAST(:properties AS jsonb), :fingerprint, :received_at
    )
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING seq
"""
_INSERT = text(INSERT_SQL)


async def insert(
    conn: AsyncConnection,
    workspace_id: UUID,
    *,
    event_id: str,
    customer_id: str,
    event_type: str,
    occurred_at: datetime,
    amount: Decimal | None,
    currency: str | None,
    amount_base: Decimal | None,
    fx_rate: Decimal | None,
    properties: dict[str, Any],
    fingerprint: bytes,
    received_at: datetime,
) -> bool:
    """Stores the event; False when its id is already stored (or being stored) in the workspace.

    ``ON CONFLICT DO NOTHING`` waits for a concurrent transaction inserting the same id, so of
    any number of concurrent replays exactly one inserts.
    """
    result = await conn.execute(
        _INSERT,
        {
            "workspace_id": workspace_id,
            "event_id": event_id,
            "customer_id": customer_id,
            "type": event_type,
            "occurred_at": occurred_at,
            "amount": amount,
            "currency": currency,
            "amount_base": amount_base,
            "fx_rate": fx_rate,
            "properties": json.dumps(properties),
            "fingerprint": fingerprint,
            "received_at": received_at,
        },
    )
    return result.first() is not None


async def stored_fingerprint(
    conn: AsyncConnection, workspace_id: UUID, event_id: str
) -> bytes | None:
    """None when the event that blocked an insert was erased since (with its customer)."""
    result = await conn.execute(
        text("SELECT fingerprint FROM events WHERE workspace_id = :ws AND event_id = :id"),
        {"ws": workspace_id, "id": event_id},
    )
    stored = result.scalar_one_or_none()
    return None if stored is None else bytes(stored)


async def list_for_customer(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[Record]:
    """Newest first, by event time then arrival order."""
    keyset = "AND (occurred_at, seq) < (:before_at, :before_seq)" if before else ""
    result = await conn.execute(
        text(
            f"""
            SELECT * FROM events
            WHERE workspace_id = :ws AND customer_id = :cid {keyset}
            ORDER BY occurred_at DESC, seq DESC
            LIMIT :limit
            """  # noqa: S608 - the interpolated text is a constant
        ),
        {
            "ws": workspace_id,
            "cid": customer_id,
            "before_at": before[0] if before else None,
            "before_seq": before[1] if before else None,
            "limit": limit + 1,
        },
    )
    return list(result.all())
