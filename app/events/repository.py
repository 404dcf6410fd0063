"""Queries for the event log."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record


def insert_set_sql(source: str) -> str:
    """Stores the events of ``source`` whose ids are not taken, in customer order, returning
    the ids it stored (``ON CONFLICT DO NOTHING`` waits for a concurrent transaction inserting
    the same id, so of any number of concurrent replays exactly one inserts). ``source`` is
    a relation with the columns of ``events`` but the workspace and ``received_at``
    (``properties`` as jsonb, ``fingerprint`` as bytea), at most one row per id."""
    return f"""
    INSERT INTO events (
        workspace_id, event_id, customer_id, type, occurred_at, amount, currency,
        amount_base, fx_rate, properties, fingerprint, received_at
    )
    SELECT CAST(:ws AS uuid), e.event_id, e.customer_id, e.type, e.occurred_at, e.amount,
           e.currency, e.amount_base, e.fx_rate, e.properties, e.fingerprint,
           CAST(:now AS timestamptz)
    FROM {source} AS e
    ORDER BY e.customer_id COLLATE "C"
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
    """  # noqa: S608 - built from constants only


STORED_SQL = """
    SELECT (SELECT config_version FROM workspaces WHERE id = $1) AS config_version,
           array_agg(event_id) AS event_ids, array_agg(fingerprint) AS fingerprints
    FROM events WHERE workspace_id = $1 AND event_id = ANY($2::text[])
"""
"""Which of some event ids are stored, with their fingerprints, and the workspace's
configuration version (``app.events.flush``)."""


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
