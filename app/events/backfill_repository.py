"""Set-based queries for the backfill path: a whole chunk of events per statement.

A chunk's rows travel as one JSON array, spread into rows by ``json_to_recordset``: one
parameter per statement, encoded in one call, whatever the chunk size (an array per column costs
the driver several times more per value). Rows that lock are written in ``customer_id`` order (byte
order, as Python sorts strings, like the normal batch path), so a backfill and concurrent
writers lock customers in the same order and cannot deadlock each other.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_INSERT_EVENTS = text(
    """
    INSERT INTO events (
        workspace_id, event_id, customer_id, type, occurred_at, amount, currency,
        amount_base, fx_rate, properties, fingerprint, received_at
    )
    SELECT
        CAST(:workspace_id AS uuid), e.event_id, e.customer_id, e.type, e.occurred_at,
        e.amount, e.currency, e.amount_base, e.fx_rate, e.properties, e.fingerprint,
        CAST(:now AS timestamptz)
    FROM json_to_recordset(CAST(:rows AS json)) AS e(
        event_id text, customer_id text, type text, occurred_at timestamptz, amount numeric,
        currency text, amount_base numeric, fx_rate numeric, properties jsonb, fingerprint bytea
    )
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
    """
)

_STORED_FINGERPRINTS = text(
    """
    SELECT event_id, fingerprint FROM events
    WHERE workspace_id = :workspace_id AND event_id = ANY(CAST(:event_ids AS text[]))
    """
)

_FOLD_CUSTOMERS = text(
    """
    INSERT INTO customers AS c (
        workspace_id, customer_id, traits, order_count, order_total, refund_total,
        first_order_at, last_order_at, last_event_at, event_counts, created_at, updated_at
    )
    SELECT
        CAST(:workspace_id AS uuid), s.customer_id, s.traits, s.order_count, s.order_total,
        s.refund_total, s.first_order_at, s.last_order_at, s.last_event_at, s.event_counts,
        CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM json_to_recordset(CAST(:rows AS json)) AS s(
        customer_id text, traits jsonb, order_count integer, order_total numeric,
        refund_total numeric, first_order_at timestamptz, last_order_at timestamptz,
        last_event_at timestamptz, event_counts jsonb
    )
    ORDER BY s.customer_id COLLATE "C"
    ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        traits = c.traits || EXCLUDED.traits,
        order_count = c.order_count + EXCLUDED.order_count,
        order_total = c.order_total + EXCLUDED.order_total,
        refund_total = c.refund_total + EXCLUDED.refund_total,
        first_order_at = LEAST(c.first_order_at, EXCLUDED.first_order_at),
        last_order_at = GREATEST(c.last_order_at, EXCLUDED.last_order_at),
        last_event_at = GREATEST(c.last_event_at, EXCLUDED.last_event_at),
        event_counts = c.event_counts || (
            SELECT jsonb_object_agg(
                added.type, added.n::integer + COALESCE((c.event_counts ->> added.type)::integer, 0)
            )
            FROM jsonb_each_text(EXCLUDED.event_counts) AS added(type, n)
        ),
        updated_at = EXCLUDED.updated_at
    """
)

# Runs after _FOLD_CUSTOMERS in the same transaction, so the rows are already locked by it.
_REMOVE_TRAITS = text(
    """
    UPDATE customers AS c
    SET traits = c.traits - ARRAY(SELECT json_array_elements_text(s.keys))
    FROM json_to_recordset(CAST(:rows AS json)) AS s(customer_id text, keys json)
    WHERE c.workspace_id = :workspace_id AND c.customer_id = s.customer_id
    """
)

_ADD_DAYS = text(
    """
    INSERT INTO customer_days AS d
        (workspace_id, customer_id, day, orders, order_amount, refund_amount)
    SELECT CAST(:workspace_id AS uuid), s.customer_id, s.day, s.orders, s.order_amount,
           s.refund_amount
    FROM json_to_recordset(CAST(:rows AS json)) AS s(
        customer_id text, day date, orders integer, order_amount numeric, refund_amount numeric
    )
    ORDER BY s.customer_id COLLATE "C", s.day
    ON CONFLICT (workspace_id, customer_id, day) DO UPDATE SET
        orders = d.orders + EXCLUDED.orders,
        order_amount = d.order_amount + EXCLUDED.order_amount,
        refund_amount = d.refund_amount + EXCLUDED.refund_amount
    """
)


def _json(rows: list[dict[str, Any]]) -> str:
    """Rows as one JSON array; decimals, times and dates as their text."""
    return json.dumps(rows, default=str, separators=(",", ":"))


async def insert_events(
    conn: AsyncConnection, workspace_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> set[str]:
    """Stores the events whose ids are not stored yet; returns the ids it stored.

    Each row holds the columns of ``events`` (``properties`` as JSON text, ``fingerprint`` as
    ``\\x``-prefixed hex), with distinct event ids.
    """
    result = await conn.execute(
        _INSERT_EVENTS, {"workspace_id": workspace_id, "now": now, "rows": _json(rows)}
    )
    return {row.event_id for row in result}


async def stored_fingerprints(
    conn: AsyncConnection, workspace_id: UUID, event_ids: list[str]
) -> dict[str, bytes]:
    if not event_ids:  # a first import stores every id: nothing to ask (up to 118 ms a chunk)
        return {}
    result = await conn.execute(
        _STORED_FINGERPRINTS, {"workspace_id": workspace_id, "event_ids": event_ids}
    )
    return {row.event_id: bytes(row.fingerprint) for row in result}


async def fold_customers(
    conn: AsyncConnection, workspace_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Creates the customers or adds the chunk's totals to theirs, locking them in id order.

    A row per customer: the columns of ``_FOLD_CUSTOMERS``, ``traits`` and ``event_counts`` as
    JSON objects.
    """
    await conn.execute(
        _FOLD_CUSTOMERS, {"workspace_id": workspace_id, "now": now, "rows": _json(rows)}
    )


async def remove_traits(
    conn: AsyncConnection, workspace_id: UUID, removals: list[dict[str, Any]]
) -> None:
    """Removes, per customer (``customer_id``), the trait names listed in ``keys``."""
    await conn.execute(_REMOVE_TRAITS, {"workspace_id": workspace_id, "rows": _json(removals)})


async def add_days(conn: AsyncConnection, workspace_id: UUID, rows: list[dict[str, Any]]) -> None:
    """A row per customer and day: ``orders``, ``order_amount``, ``refund_amount`` to add."""
    await conn.execute(_ADD_DAYS, {"workspace_id": workspace_id, "rows": _json(rows)})
