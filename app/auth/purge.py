"""Purging deleted workspaces: ``TIERLINE_DELETED_WORKSPACE_RETENTION_DAYS`` after a workspace
was deleted, every row it owns is deleted, table by table in chunks of ``PURGE_CHUNK`` rows
(one short transaction each, so no lock is held long), and finally the workspace row itself:
nothing of it is left, and its slug is free again.

The same loop deletes the idempotency records past their 24 hours (``app.idempotency``).

Any number of processes may purge at once; two deleting the same chunk only wait for each
other. Everything here reads the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from uuid import UUID

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.clock import Clock
from app.db.tables import metadata, workspaces
from app.idempotency import service as idempotency
from app.settings import Settings

logger = logging.getLogger(__name__)

PURGE_CHUNK = 5000
PURGE_EVERY_SECONDS = 60.0

# Tables that reference others first, so no foreign key is left pointing at a deleted row.
TENANT_TABLES: list[Table] = [
    table for table in reversed(metadata.sorted_tables) if "workspace_id" in table.c
]


async def _delete_chunk(conn: AsyncConnection, workspace_id: UUID) -> bool:
    """Deletes up to ``PURGE_CHUNK`` rows of the first table still holding the workspace's
    rows; False when none is left."""
    for table in TENANT_TABLES:
        key = tuple_(*table.primary_key.columns)
        chunk = (
            select(*table.primary_key.columns)
            .where(table.c.workspace_id == workspace_id)
            .limit(PURGE_CHUNK)
        )
        result = await conn.execute(
            delete(table).where(table.c.workspace_id == workspace_id, key.in_(chunk))
        )
        if result.rowcount:
            return True
    return False


async def purge(engine: AsyncEngine, workspace_id: UUID, stop: asyncio.Event | None = None) -> bool:
    """Deletes a deleted workspace's data chunk by chunk, then its row; False when ``stop``
    interrupted it (the next round goes on where it stopped)."""
    while True:
        if stop is not None and stop.is_set():
            return False
        async with engine.begin() as conn:
            if await _delete_chunk(conn, workspace_id):
                continue
            await conn.execute(
                delete(workspaces).where(
                    workspaces.c.id == workspace_id, workspaces.c.deleted_at.is_not(None)
                )
            )
        return True


async def purge_due(
    engine: AsyncEngine, clock: Clock, retention: timedelta, stop: asyncio.Event | None = None
) -> list[UUID]:
    """Purges the workspaces deleted more than ``retention`` ago; returns those purged."""
    async with engine.connect() as conn:
        due = list(
            (
                await conn.execute(
                    select(workspaces.c.id)
                    .where(workspaces.c.deleted_at <= clock.now() - retention)
                    .order_by(workspaces.c.deleted_at)
                )
            ).scalars()
        )
    purged = []
    for workspace_id in due:
        if not await purge(engine, workspace_id, stop):
            break
        logger.info("purged deleted workspace %s", workspace_id)
        purged.append(workspace_id)
    return purged


async def work(engine: AsyncEngine, clock: Clock, settings: Settings, stop: asyncio.Event) -> None:
    retention = timedelta(days=settings.deleted_workspace_retention_days)
    while not stop.is_set():
        try:
            await purge_due(engine, clock, retention, stop)
            await idempotency.purge_expired(engine, clock.now())
        except Exception:
            logger.exception("purge error; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PURGE_EVERY_SECONDS)
