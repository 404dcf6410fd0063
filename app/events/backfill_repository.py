"""What the backfill path reads besides its staging table: the customers an import left to
classify (``pending_classifications``), taken in chunks, and traits grown too large.

A chunk of pending customers is taken in the order every writer locks customers in: the
customers' rows first (in id order), then their pending rows, the order an import's chunk
writes them in.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_PENDING = text(
    """
    SELECT customer_id FROM pending_classifications
    WHERE workspace_id = :ws ORDER BY customer_id LIMIT :n
    """
)

_LOCK_CUSTOMERS = text(
    """
    SELECT customer_id FROM customers
    WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[]))
    ORDER BY customer_id FOR UPDATE
    """
)

_CLEAR = text(
    """
    DELETE FROM pending_classifications
    WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[]))
    RETURNING customer_id, notify
    """
)


async def pending_customers(conn: AsyncConnection, workspace_id: UUID, limit: int) -> list[str]:
    """The first ``limit`` pending customers, in id order."""
    result = await conn.execute(_PENDING, {"ws": workspace_id, "n": limit})
    return list(result.scalars())


async def lock_customers(conn: AsyncConnection, workspace_id: UUID, ids: list[str]) -> list[str]:
    """Locks the customers of ``ids`` that exist (one erased meanwhile does not), in id
    order; returns their ids."""
    result = await conn.execute(_LOCK_CUSTOMERS, {"ws": workspace_id, "ids": ids})
    return list(result.scalars())


async def clear_pending(
    conn: AsyncConnection, workspace_id: UUID, ids: list[str]
) -> dict[str, bool]:
    """Clears the pending rows of ``ids``; whether each cleared one asked for webhooks."""
    result = await conn.execute(_CLEAR, {"ws": workspace_id, "ids": ids})
    return {row.customer_id: row.notify for row in result}


# jsonb's text has a space after each colon and comma: never shorter than the compact JSON the
# limit measures, so only the customers it finds need measuring.
_TRAITS_OVER = text(
    """
    SELECT customer_id, CAST(traits AS text) AS traits FROM customers
    WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[]))
      AND octet_length(CAST(traits AS text)) > :limit
    """
)


async def traits_over(
    conn: AsyncConnection, workspace_id: UUID, ids: list[str], limit: int
) -> dict[str, dict[str, Any]]:
    """The traits of the customers of ``ids`` that may be over ``limit`` bytes as JSON."""
    if not ids:
        return {}
    result = await conn.execute(_TRAITS_OVER, {"ws": workspace_id, "ids": ids, "limit": limit})
    return {row.customer_id: json.loads(row.traits) for row in result}
