"""The review clock: re-classifies exactly the customers whose ``next_review_at`` has come.

A customer's ``next_review_at`` is the earliest moment its tiers may change with no new
data (a windowed metric changes, a time comparison in a rule flips, a pending downgrade falls
due). Any number of processes may run the scheduler: each claims due customers with
``FOR UPDATE SKIP LOCKED``, a batch per transaction, and moves their ``next_review_at`` on, so
each due customer is reviewed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.classification import pipeline
from app.clock import Clock

logger = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 5.0

_DUE = text(
    """
    SELECT customer_id, next_review_at FROM customers
    WHERE workspace_id = :ws AND next_review_at <= :now
    ORDER BY next_review_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
    """
)


async def review_batch(
    conn: AsyncConnection, workspace_id: UUID, now: datetime, limit: int = BATCH
) -> int:
    """Reviews up to ``limit`` due customers of one workspace; returns how many."""
    rows = (await conn.execute(_DUE, {"ws": workspace_id, "now": now, "limit": limit})).all()
    await pipeline.classify(
        conn,
        workspace_id,
        [row.customer_id for row in rows],
        now,
        "review",
        {},
        causes={row.customer_id: {"due_at": row.next_review_at.isoformat()} for row in rows},
    )
    return len(rows)


async def review_due(engine: AsyncEngine, clock: Clock) -> int:
    """Reviews every customer due now, in every workspace; returns how many."""
    async with engine.connect() as conn:
        workspaces = list(
            (
                await conn.execute(text("SELECT id FROM workspaces WHERE deleted_at IS NULL"))
            ).scalars()
        )
        await conn.rollback()
    reviewed = 0
    for workspace_id in workspaces:
        while True:
            async with engine.connect() as conn, conn.begin():
                count = await review_batch(conn, workspace_id, clock.now())
            reviewed += count
            if count < BATCH:
                break
    return reviewed


async def work(engine: AsyncEngine, clock: Clock, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await review_due(engine, clock)
        except Exception:
            logger.exception("review scheduler error; retrying shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
