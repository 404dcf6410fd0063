"""Queries for RFM scores: the one-statement refresh, its record, and the workspaces due."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record

_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('rfm:' || CAST(CAST(:ws AS uuid) AS text), 0))"
)
_TRY_LOCK = text(
    "SELECT pg_try_advisory_xact_lock("
    "hashtextextended('rfm:' || CAST(CAST(:ws AS uuid) AS text), 0))"
)

# One statement: rank (from one snapshot), write the scores that changed (row locks taken in
# customer id order, as every bulk writer takes them), and report the values behind each score.
_REFRESH = text(
    """
    WITH ranked AS (
        SELECT v.*,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.days DESC)) AS smallint) AS r,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.order_count)) AS smallint) AS f,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.spend)) AS smallint) AS m
        FROM (
            SELECT customer_id, order_count, order_total - refund_total AS spend,
                   GREATEST(CAST(:today AS date)
                            - CAST(timezone('UTC', last_order_at) AS date), 0) AS days
            FROM customers
            WHERE workspace_id = :ws AND order_count > 0
        ) AS v
    ),
    changed AS (
        SELECT c.customer_id, k.r, k.f, k.m,
               CAST(round((k.f + k.m) / 2.0) AS smallint) AS fm
        FROM customers c
        LEFT JOIN ranked k ON k.customer_id = c.customer_id
        WHERE c.workspace_id = :ws
          AND (c.rfm_r, c.rfm_f, c.rfm_m) IS DISTINCT FROM (k.r, k.f, k.m)
    ),
    locked AS (
        SELECT c.customer_id FROM customers c
        WHERE c.workspace_id = :ws AND c.customer_id IN (SELECT customer_id FROM changed)
        ORDER BY c.customer_id
        FOR UPDATE
    ),
    written AS (
        UPDATE customers AS c
        SET rfm_r = s.r, rfm_f = s.f, rfm_m = s.m, rfm_fm = s.fm
        FROM changed s JOIN locked l ON l.customer_id = s.customer_id
        WHERE c.workspace_id = :ws AND c.customer_id = s.customer_id
        RETURNING c.customer_id
    ),
    bands AS (
        SELECT 'r' AS dimension, r AS score, count(*) AS customers,
               CAST(min(days) AS text) AS low, CAST(max(days) AS text) AS high
        FROM ranked GROUP BY r
        UNION ALL
        SELECT 'f', f, count(*), CAST(min(order_count) AS text), CAST(max(order_count) AS text)
        FROM ranked GROUP BY f
        UNION ALL
        SELECT 'm', m, count(*), CAST(min(spend) AS text), CAST(max(spend) AS text)
        FROM ranked GROUP BY m
    )
    SELECT (SELECT count(*) FROM written) AS changed,
           (SELECT count(*) FROM ranked) AS scored,
           CAST(COALESCE((SELECT jsonb_agg(b) FROM bands b), '[]') AS text) AS bands
    """
)

_SAVE = text(
    """
    INSERT INTO rfm_refreshes (workspace_id, refreshed_at, customers, cut_points)
    VALUES (:ws, :now, :customers, CAST(:cut_points AS jsonb))
    ON CONFLICT (workspace_id) DO UPDATE SET
        refreshed_at = EXCLUDED.refreshed_at, customers = EXCLUDED.customers,
        cut_points = EXCLUDED.cut_points
    """
)

# Cheap beside the refresh, which reads every one of them: against stale statistics.
_CUSTOMERS = text("SELECT count(*) FROM customers WHERE workspace_id = :ws")

_LAST = text(
    "SELECT refreshed_at, customers, cut_points FROM rfm_refreshes WHERE workspace_id = :ws"
)

# Workspaces whose scores are a day old, or were never computed though someone has ordered:
# looked for in three lock-free reads, each of one kind of table (on Citus, a reference table,
# then every shard of one table, then one shard per workspace never refreshed).
_LIVE = text(
    """
    SELECT id FROM workspaces
    WHERE deleted_at IS NULL AND (CAST(:ws AS uuid) IS NULL OR id = CAST(:ws AS uuid))
    ORDER BY id
    """
)
_REFRESHED = text(
    "SELECT workspace_id, refreshed_at <= :stale_at AS stale FROM rfm_refreshes "
    "WHERE workspace_id = ANY(CAST(:ids AS uuid[]))"
)
_ORDERED = text(
    "SELECT EXISTS (SELECT 1 FROM customers WHERE workspace_id = :ws AND order_count > 0)"
)


async def lock(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Waits until no other transaction refreshes the workspace, until this one ends."""
    await conn.execute(_LOCK, {"ws": workspace_id})


async def try_lock(conn: AsyncConnection, workspace_id: UUID) -> bool:
    """``lock`` unless another transaction holds it; whether this one got it."""
    return bool((await conn.execute(_TRY_LOCK, {"ws": workspace_id})).scalar_one())


async def count_customers(conn: AsyncConnection, workspace_id: UUID) -> int:
    return int((await conn.execute(_CUSTOMERS, {"ws": workspace_id})).scalar_one())


async def score(conn: AsyncConnection, workspace_id: UUID, today: date) -> Record:
    """Writes the scores that changed as of ``today``; the row has ``changed`` (customers
    whose scores changed), ``scored`` (customers with an order) and ``bands`` (JSON: per
    dimension and score, the customers and the lowest and highest value as text)."""
    return (await conn.execute(_REFRESH, {"ws": workspace_id, "today": today})).one()


async def save(
    conn: AsyncConnection,
    workspace_id: UUID,
    now: datetime,
    customers: int,
    cut_points: dict[str, list[dict[str, Any]]],
) -> None:
    """Records the workspace's refresh at ``now`` in place of the previous one."""
    params = {
        "ws": workspace_id,
        "now": now,
        "customers": customers,
        "cut_points": json.dumps(cut_points),
    }
    await conn.execute(_SAVE, params)


async def last(conn: AsyncConnection, workspace_id: UUID) -> Record | None:
    return (await conn.execute(_LAST, {"ws": workspace_id})).one_or_none()


async def due(conn: AsyncConnection, workspace_id: UUID | None, stale_at: datetime) -> list[UUID]:
    """The workspaces (or only ``workspace_id``) last refreshed at or before ``stale_at``, or
    never though a customer has ordered."""
    live = list((await conn.execute(_LIVE, {"ws": workspace_id})).scalars())
    refreshed = {
        row.workspace_id: row.stale
        for row in await conn.execute(_REFRESHED, {"ids": live, "stale_at": stale_at})
    }
    due = []
    for ws in live:
        if ws in refreshed:
            stale = refreshed[ws]
        else:
            stale = (await conn.execute(_ORDERED, {"ws": ws})).scalar_one()
        if stale:
            due.append(ws)
    return due
