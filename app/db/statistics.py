"""Planner statistics for a workspace that grows faster than autovacuum looks.

Every per-customer table holds all workspaces, keyed by ``workspace_id`` first. When a new
workspace receives its history in bulk, the planner's statistics do not know it yet and
estimate it at one row, so the set-based statements of the import and of the RFM refresh
choose nested loops that re-read the workspace's rows once per customer: an import's first
minute ran 10 times slower than the rest, and an RFM refresh that fired meanwhile took 162 s
instead of 0.16 s while holding its customers' row locks (bench/README.md, the import).
Autovacuum analyses a table only after 10% of it changed, which for a table shared with
large workspaces can be long after. So the bulk writers compare the planner's estimate with
what they know is there and ANALYZE the tables themselves when it is less than half.

ANALYZE runs in the caller's transaction and counts the transaction's own new rows. Below
``MIN_ROWS`` a wrong estimate costs little; above it, a process analyses for a workspace again
only once what it knows of has doubled, so an import analyses a logarithmic number of times
even when a huge table's sample keeps missing a small workspace.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# The tables a backfill or a refresh writes per customer: what the statements after it read.
PER_CUSTOMER_TABLES = (
    "events",
    "customers",
    "customer_days",
    "customer_source_days",
    "customer_source_totals",
    "customer_tiers",
    "tier_history",
    "segment_members",
    "segment_history",
)

_ANALYZE = text(f"ANALYZE {', '.join(PER_CUSTOMER_TABLES)}")

MIN_ROWS = 1000

Counted = Literal["events", "customers"]

# Per process, the ``at_least`` of the last ANALYZE for each workspace: one int a workspace.
_analyzed_at: dict[UUID, int] = {}

# EXPLAIN plans its query with the bound value each time (no generic plan), so the estimate
# is the one the next statements over this workspace will be planned with.
_ESTIMATES = {
    "events": text("EXPLAIN (FORMAT JSON) SELECT 1 FROM events WHERE workspace_id = :ws"),
    "customers": text("EXPLAIN (FORMAT JSON) SELECT 1 FROM customers WHERE workspace_id = :ws"),
}


async def estimated_rows(conn: AsyncConnection, workspace_id: UUID, table: Counted) -> float:
    """How many of the workspace's rows the planner believes ``table`` holds."""
    # The driver decodes the JSON plan.
    plan = (await conn.execute(_ESTIMATES[table], {"ws": workspace_id})).scalar_one()
    rows: float = plan[0]["Plan"]["Plan Rows"]
    return rows


async def analyze_if_underestimated(
    conn: AsyncConnection, workspace_id: UUID, table: Counted, at_least: int
) -> bool:
    """ANALYZEs the per-customer tables when the planner believes ``table`` holds fewer than
    half of the ``at_least`` rows of the workspace the caller knows of. Returns whether it did.
    """
    if at_least < max(MIN_ROWS, 2 * _analyzed_at.get(workspace_id, 0)):
        return False
    if await estimated_rows(conn, workspace_id, table) * 2 >= at_least:
        return False
    await conn.execute(_ANALYZE)
    _analyzed_at[workspace_id] = at_least
    return True
