"""A deleted workspace's data is purged after the retention, and not before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from app.auth.purge import TENANT_TABLES, purge_due
from app.clock import FrozenClock
from app.settings import Settings
from tests.auth.test_workspace_deletion import delete, populated_workspace
from tests.conftest import T0
from tests.jobs.conftest import default_workspace, new_workspace
from tests.tiers.test_tier_lifecycle import order
from tests.webhooks.test_endpoints import allow_loopback

RETENTION = timedelta(days=Settings().deleted_workspace_retention_days)


async def rows_of(app: Any, workspace_id: UUID) -> dict[str, int]:
    async with app.state.engine.connect() as conn:
        counts = {
            table.name: (
                await conn.execute(
                    text(f"SELECT count(*) FROM {table.name} WHERE workspace_id = :ws"),
                    {"ws": workspace_id},
                )
            ).scalar_one()
            for table in TENANT_TABLES
        }
        counts["workspaces"] = (
            await conn.execute(
                text("SELECT count(*) FROM workspaces WHERE id = :ws"), {"ws": workspace_id}
            )
        ).scalar_one()
    return {name: count for name, count in counts.items() if count}


async def test_a_deleted_workspace_is_purged_after_the_retention_and_not_before(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)  # no worker runs: nothing is sent
    workspace_id, _ = await populated_workspace(
        app, client, admin_key, clock, "http://127.0.0.1:9/hook"
    )
    kept = await default_workspace(app)
    await order(client, admin_key, "o1", "100.00", T0, customer_id="c1")
    kept_rows = await rows_of(app, kept)
    before = await rows_of(app, workspace_id)
    assert {"customers", "events", "tier_history", "webhook_deliveries", "jobs"} <= set(before)

    await delete(client, admin_key, workspace_id)
    clock.advance(RETENTION - timedelta(minutes=1))
    assert await purge_due(app.state.engine, clock, RETENTION) == []
    assert await rows_of(app, workspace_id) == before

    clock.advance(timedelta(minutes=2))
    assert await purge_due(app.state.engine, clock, RETENTION) == [workspace_id]
    assert await rows_of(app, workspace_id) == {}
    assert await rows_of(app, kept) == kept_rows
    # The slug is free again.
    await new_workspace(client, admin_key, "gone")
