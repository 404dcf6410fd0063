"""The import's baseline: the staged SQL pipeline alone, no Python parsing in the loop.

The import's rows, parsed and encoded before the clock starts, go into a workspace of their own
(with the same schemes and segment as the import's) the way ``tierline import`` stores them,
minus everything Python does per row: per chunk of ``import_reader.CHUNK_SIZE`` rows, one
transaction that COPYs the chunk into the staging table and runs the import's own set-based
statements (``app.events.staging``: events, customers' totals, traits and event counts, daily
roll-ups). Then the customers' tiers and segment memberships are written by hand-written
set-based statements over the whole workspace, one for both schemes and one for the segment
(assignments and history rows), as a database would compute them without the rules engine:
``value`` on lifetime spend and orders, ``activity`` on the last order and the orders of the
last 365 days, ``vip-north`` on lifetime spend and the region trait.

The tiers it writes are compared with the import's (counts per scheme and tier), so a
baseline that computes something else shows.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from app.db.url import asyncpg_dsn
from app.events import staging
from app.events.import_reader import CHUNK_SIZE

_TIERS = """
WITH spend AS (
    SELECT c.customer_id, c.order_total - c.refund_total AS lifetime_spend, c.order_count,
           c.last_order_at,
           EXISTS (
               SELECT 1 FROM customer_days AS d
               WHERE d.workspace_id = c.workspace_id AND d.customer_id = c.customer_id
                 AND d.day >= CAST($2 AS date) - 364 AND d.orders > 0
           ) AS ordered_within_365d
    FROM customers AS c WHERE c.workspace_id = $1
),
decided AS (
    SELECT customer_id, 'value' AS scheme_key,
           CASE WHEN lifetime_spend >= $3 THEN 'vip'
                WHEN order_count >= 1 THEN 'regular' ELSE 'potential' END AS tier
    FROM spend
    UNION ALL
    SELECT customer_id, 'activity',
           CASE WHEN last_order_at >= $4 THEN 'active'
                WHEN ordered_within_365d THEN 'lapsing' ELSE 'lapsed' END
    FROM spend
),
assigned AS (
    INSERT INTO customer_tiers AS t (workspace_id, customer_id, scheme_key, tier, version, since)
    SELECT $1, customer_id, scheme_key, tier, 1, $5 FROM decided
    ORDER BY customer_id, scheme_key
    RETURNING customer_id, scheme_key, tier
)
INSERT INTO tier_history (
    workspace_id, customer_id, scheme_key, version, from_tier, to_tier, changed_at, reason, cause
)
SELECT $1, customer_id, scheme_key, 1, NULL, tier, $5, 'import', '{}' FROM assigned
"""

# vip-north on the facts its tier was decided on, as a hand-written statement would (a join
# with the tiers written in the same transaction was planned as a scan of them per customer).
_SEGMENT = """
WITH entered AS (
    INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
    SELECT $1, 'vip-north', c.customer_id, $2
    FROM customers AS c
    WHERE c.workspace_id = $1 AND c.order_total - c.refund_total >= $3
      AND c.traits ->> 'region' = 'north'
    ORDER BY c.customer_id
    RETURNING customer_id
)
INSERT INTO segment_history (
    workspace_id, customer_id, segment_key, version, change, changed_at, reason, cause
)
SELECT $1, customer_id, 'vip-north', 1, 'entered', $2, 'import', '{}' FROM entered
"""

_TIER_COUNTS = """
SELECT scheme_key, tier, count(*) FROM customer_tiers
WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = $1)
GROUP BY scheme_key, tier ORDER BY scheme_key, tier
"""


def staged_rows(events: Iterable[dict[str, Any]]) -> list[staging.StagedRow]:
    """The rows as the staging table takes them (all in the base currency)."""
    rows = []
    for position, event in enumerate(events):
        amount = Decimal(event["amount"]) if "amount" in event else None
        traits = event.get("traits")
        rows.append(
            staging.StagedRow(
                position=position,
                event_id=event["event_id"],
                customer_id=event["customer_id"],
                type=event["type"],
                occurred_at=datetime.fromisoformat(event["occurred_at"]),
                amount=amount,
                currency=None,
                amount_base=amount,
                fx_rate=None,
                properties=json.dumps(event.get("properties", {}), separators=(",", ":")),
                traits=None if traits is None else json.dumps(traits, separators=(",", ":")),
                fingerprint=hashlib.sha256(event["event_id"].encode()).digest(),
            )
        )
    return rows


async def staged_sql_seconds(
    database_url: str, workspace: str, rows: Sequence[staging.StagedRow], vip_spend: int
) -> float:
    """Seconds to store ``rows`` into ``workspace`` (a slug) the staged way, and classify."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        workspace_id: UUID = await conn.fetchval(
            "SELECT id FROM workspaces WHERE slug = $1", workspace
        )
        now = datetime.now(UTC)
        started = time.perf_counter()
        for start in range(0, len(rows), CHUNK_SIZE):
            async with conn.transaction():
                await conn.execute(staging.CREATE_STAGING)
                await staging.load(conn, rows[start : start + CHUNK_SIZE])
                await staging.insert_events(conn, workspace_id, now)
                await staging.fold_into_customers(conn, workspace_id, now, removes_traits=False)
        async with conn.transaction():
            today = now.astimezone(UTC).date()
            # within_days 90: from midnight UTC 89 days before today (app.rules.evaluate).
            active_from = datetime.combine(today - timedelta(days=89), datetime.min.time(), UTC)
            await conn.execute(_TIERS, workspace_id, today, vip_spend, active_from, now)
            await conn.execute(_SEGMENT, workspace_id, now, vip_spend)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def tier_counts(database_url: str, workspace: str) -> list[tuple[str, str, int]]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return [tuple(row) for row in await conn.fetch(_TIER_COUNTS, workspace)]
    finally:
        await conn.close()
