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

import asyncio
import logging
from typing import Any, Literal
from uuid import UUID

import asyncpg
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

logger = logging.getLogger(__name__)

MIN_ROWS = 1000

Counted = Literal["events", "customers", "customer_tiers"]

# What a count stands for: the tables written with it, whose statistics lag as far, and what
# the statements after it read. An import's chunks write events and roll-ups, its end the
# classification; the RFM refresh rewrites every customer's scores and tiers.
_EVENT_TABLES = (
    "events",
    "customers",
    "customer_days",
    "customer_source_days",
    "customer_source_totals",
)
_TIER_TABLES = ("customer_tiers", "tier_history", "segment_members", "segment_history")
_WRITTEN_WITH: dict[Counted, TextClause] = {
    "events": text(f"ANALYZE {', '.join(_EVENT_TABLES)}"),
    "customers": text(f"ANALYZE {', '.join(_EVENT_TABLES + _TIER_TABLES)}"),
    "customer_tiers": text(f"ANALYZE {', '.join(_TIER_TABLES)}"),
}

# A setting of Citus's (a placeholder elsewhere, without effect), for the rest of the
# transaction.
_ONE_CONNECTION_PER_NODE = text("SET LOCAL citus.multi_shard_modify_mode TO sequential")

# Per process, the ``at_least`` of the last ANALYZE for each workspace and counted table.
_analyzed_at: dict[tuple[UUID, Counted], int] = {}

# EXPLAIN plans its query with the bound value each time (no generic plan), so the estimate
# is the one the next statements over this workspace will be planned with.
_ESTIMATES = {
    "events": text("EXPLAIN (FORMAT JSON) SELECT 1 FROM events WHERE workspace_id = :ws"),
    "customers": text("EXPLAIN (FORMAT JSON) SELECT 1 FROM customers WHERE workspace_id = :ws"),
    "customer_tiers": text(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM customer_tiers WHERE workspace_id = :ws"
    ),
}


async def estimated_rows(conn: AsyncConnection, workspace_id: UUID, table: Counted) -> float:
    """How many of the workspace's rows the planner believes ``table`` holds."""
    statement, values = _ESTIMATES[table], {"ws": workspace_id}
    if await _on_citus(conn):
        # Citus's EXPLAIN of a distributed statement leaves the transaction unable to run
        # some of the writer's next statements ("cannot switch local execution status");
        # the estimate comes from the catalogs, which another session reads alike.
        async with conn.engine.connect() as other:
            plan = (await other.execute(statement, values)).scalar_one()
            await other.rollback()
    else:
        # The driver decodes the JSON plan.
        plan = (await conn.execute(statement, values)).scalar_one()
    return _plan_rows(plan[0]["Plan"])


# Per database (URL), whether it is distributed by Citus.
_citus: dict[str, bool] = {}


async def _on_citus(conn: AsyncConnection) -> bool:
    url = conn.engine.url.render_as_string(hide_password=True)
    if url not in _citus:
        found = await conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        )
        _citus[url] = bool(found.scalar_one())
    return _citus[url]


def _plan_rows(plan: dict[str, Any]) -> float:
    """A plan's row estimate. On Citus the coordinator plans a statement on one shard as a
    call to a worker (estimated at 0 rows) and shows the worker's plan of it, whose estimate
    is the one the statements will run with."""
    tasks = plan.get("Distributed Query", {}).get("Job", {}).get("Tasks", [])
    if tasks:
        return _plan_rows(tasks[0]["Remote Plan"][0][0]["Plan"])
    rows: float = plan["Plan Rows"]
    return rows


async def analyze_if_underestimated(
    conn: AsyncConnection, workspace_id: UUID, table: Counted, at_least: int
) -> bool:
    """ANALYZEs ``table`` and the tables written with it when the planner believes it holds
    fewer than half of the ``at_least`` rows of the workspace the caller knows of. Returns
    whether it did.
    """
    if at_least < max(MIN_ROWS, 2 * _analyzed_at.get((workspace_id, table), 0)):
        return False
    if await estimated_rows(conn, workspace_id, table) * 2 >= at_least:
        return False
    # On Citus an ANALYZE runs on every shard; in a transaction that has read a reference
    # table (the workspace), over one connection per node, not one per shard.
    await conn.execute(_ONE_CONNECTION_PER_NODE)
    await conn.execute(_WRITTEN_WITH[table])
    _analyzed_at[workspace_id, table] = at_least
    return True


# What single events and normal batches append to (``app.events.flush``).
EVENT_WRITE_TABLES = (
    "events",
    "customer_days",
    "customer_tiers",
    "tier_history",
    "segment_members",
    "segment_history",
    "webhook_messages",
    "webhook_deliveries",
)

_RELTUPLES = (
    "SELECT c.relname, c.reltuples FROM pg_class c "
    "WHERE c.oid = ANY(CAST($1 AS text[])::regclass[])"
)


class GrowthWatch:
    """Keeps the planner's statistics of the tables events append to from lagging far behind
    them, for one process.

    A session caches plans: asyncpg's prepared statements once PostgreSQL settles on a generic
    plan, and the foreign-key checks every insert fires. Planned while a table was nearly
    empty (a new installation's first minute), they keep reading it as empty while it grows:
    single foreign-key checks on ``webhook_messages`` took 2-3.5 ms, and the first minute of
    events ran at half speed, until autovacuum, which waits for a fifth of a table to change,
    analysed it (``bench/README.md``, issue 21). An ``ANALYZE`` invalidates those plans.

    So the process counts the events it stores, and each time the count doubles (from
    ``MIN_ROWS``) it compares, off the request path, each table's row estimate with that
    count, and analyses the tables estimated at less than half of it. A table holding much
    more than the process wrote, the common case, is never analysed here."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.stored = 0
        self._next_look = MIN_ROWS
        self._looking: asyncio.Task[list[str]] | None = None

    def counted(self, events: int) -> None:
        self.stored += events
        if self.stored < self._next_look or self._looking is not None:
            return
        self._next_look = 2 * self.stored
        self._looking = asyncio.create_task(self._analyze_lagging(self.stored))
        self._looking.add_done_callback(self._looked)

    async def settled(self) -> None:
        """Waits for a look in progress (for tests and shutdown)."""
        if self._looking is not None:
            await asyncio.gather(self._looking, return_exceptions=True)

    def _looked(self, task: asyncio.Task[list[str]]) -> None:
        self._looking = None
        if not task.cancelled() and task.exception() is not None:
            logger.warning("could not refresh planner statistics", exc_info=task.exception())

    async def _analyze_lagging(self, stored: int) -> list[str]:
        async with self.pool.acquire() as conn:
            estimates = await conn.fetch(_RELTUPLES, list(EVENT_WRITE_TABLES))
            lagging = sorted(row["relname"] for row in estimates if row["reltuples"] * 2 < stored)
            if lagging:
                await conn.execute(f"ANALYZE {', '.join(lagging)}")
                logger.info("planner statistics refreshed", extra={"tables": lagging})
        return lagging
