"""Planner statistics keep up with a workspace that grows in bulk (app.db.statistics).

Each check reads the planner's estimate inside the transaction that wrote the rows: autovacuum
cannot see them there, so only the writer's own ANALYZE can have taught the planner about them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.api.problems import error_problem
from app.auth import service as auth_service
from app.auth.principal import Workspace
from app.clock import FrozenClock
from app.db import statistics
from app.db.statistics import estimated_rows
from app.events import importer
from app.events.backfill import backfill
from app.events.import_file import EventFile
from app.events.schemas import EventIn
from app.events.service import Outcome
from app.rfm import service as rfm
from tests.conftest import T0, bearer
from tests.events.test_ingest import event
from tests.test_import import history, write_ndjson


async def default_workspace(conn: AsyncConnection) -> Workspace:
    row = await auth_service.resolve_workspace(conn, "default")
    return Workspace(row.id, row.base_currency)


def events(count: int, customers: int) -> list[EventIn]:
    return [EventIn.model_validate(e) for e in history(count, customers)]


async def test_a_backfill_into_a_new_workspace_analyses_what_it_wrote(
    app: Any, admin_key: str
) -> None:
    async with app.state.engine.begin() as conn:
        workspace = await default_workspace(conn)
        assert await estimated_rows(conn, workspace.id, "events") < 10
        results = await backfill(conn, workspace, events(1500, customers=600), T0)
        assert {r.status if isinstance(r, Outcome) else "rejected" for r in results} == {"created"}
        assert await estimated_rows(conn, workspace.id, "events") > 750
        assert await estimated_rows(conn, workspace.id, "customers") > 300


async def test_a_small_backfill_leaves_the_statistics_to_autovacuum(
    app: Any, admin_key: str
) -> None:
    async with app.state.engine.begin() as conn:
        workspace = await default_workspace(conn)
        await backfill(conn, workspace, events(statistics.MIN_ROWS - 1, customers=300), T0)
        assert await estimated_rows(conn, workspace.id, "events") < 10


async def test_a_workspace_is_analysed_again_only_once_it_doubled(app: Any, admin_key: str) -> None:
    """Even when the estimate stays low (here: nothing is stored), so that a huge table whose
    sample misses a small workspace is not analysed on every chunk."""
    async with app.state.engine.begin() as conn:
        workspace_id = (await default_workspace(conn)).id
        analysed = [
            await statistics.analyze_if_underestimated(conn, workspace_id, "events", at_least)
            for at_least in (999, 1000, 1000, 1999, 2000, 3999, 4000)
        ]
    assert analysed == [False, True, False, False, True, False, True]


async def test_an_import_keeps_the_statistics_up_as_the_workspace_doubles(
    app: Any, admin_key: str, database_url: str, tmp_path: Path
) -> None:
    """Beside another workspace's 20,000 events, the planner scales the import's share as of
    its last ANALYZE: chunk 1 analyses at 1,000 of 21,000 rows; by chunk 3 the import has
    counted 3,000 events but the planner, scaling 1/21 of the table, believes about 1,100, so
    it analyses again. An import that did not count its earlier chunks would stay there."""
    async with app.state.engine.begin() as conn:
        other, _, _ = await auth_service.create_workspace(conn, "other", "Other", "EUR", T0)
        await conn.execute(
            text(
                "INSERT INTO events (workspace_id, event_id, customer_id, type, occurred_at,"
                " properties, fingerprint, received_at)"
                " SELECT :ws, 'o-' || n, 'c-' || n % 7000, 'visit', :at,"
                ' \'{"channel": "web"}\', sha256(int4send(n)), :at'
                " FROM generate_series(1, 20000) AS n"
            ),
            {"ws": other.id, "at": T0 - timedelta(days=1)},
        )
        await conn.execute(text("ANALYZE events"))
    source = write_ndjson(tmp_path / "events.ndjson", history(4000, customers=900))
    summary = await importer.import_events(
        database_url, "default", EventFile(source), FrozenClock(T0), error_problem, chunk_size=1000
    )
    assert summary.created == 4000
    async with app.state.engine.connect() as conn:
        workspace_id = (await default_workspace(conn)).id
        assert await estimated_rows(conn, workspace_id, "events") > 2500


async def test_an_rfm_refresh_analyses_a_workspace_the_planner_does_not_know(
    app: Any, admin_key: str
) -> None:
    async with app.state.engine.begin() as conn:
        workspace_id: UUID = (await default_workspace(conn)).id
        await conn.execute(
            text(
                "INSERT INTO customers (workspace_id, customer_id, order_count, order_total,"
                " last_order_at, created_at, updated_at)"
                " SELECT :ws, 'c-' || n, 1 + n % 4, n, :at, :at, :at"
                " FROM generate_series(1, 1200) AS n"
            ),
            {"ws": workspace_id, "at": T0 - timedelta(days=3)},
        )
        assert await estimated_rows(conn, workspace_id, "customers") < 10
        refreshed = await rfm.refresh(conn, workspace_id, T0)
        assert refreshed.customers == 1200
        assert await estimated_rows(conn, workspace_id, "customers") > 600


async def manually_analyzed(app: Any) -> dict[str, Any]:
    """When each table the events write was last analysed by a statement (not autovacuum)."""
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname = ANY(:t)"),
            {"t": list(statistics.EVENT_WRITE_TABLES)},
        )
        return {row.relname: row.last_analyze for row in rows}


async def test_single_events_keep_the_statistics_of_the_tables_they_grow_from_lagging(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    assert set((await manually_analyzed(app)).values()) == {None}
    # Autovacuum could analyse a table meanwhile (after 50 changed rows), and the watch would
    # rightly leave it alone: the test's database is its own, so it is kept out.
    async with app.state.engine.begin() as conn:
        for table in statistics.EVENT_WRITE_TABLES:
            await conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))

    connections = asyncio.Semaphore(32)

    async def send(n: int) -> None:
        body = {**event(event_id=f"e-{n}", customer_id=f"c-{n % 400}")}
        async with connections:
            response = await client.post("/v1/events", json=body, headers=bearer(admin_key))
        assert response.status_code == 201, response.text

    batcher = app.state.batcher
    await asyncio.gather(*(send(n) for n in range(statistics.MIN_ROWS - 1)))
    await batcher.growth.settled()
    assert set((await manually_analyzed(app)).values()) == {None}  # not yet

    await send(statistics.MIN_ROWS - 1)
    await batcher.growth.settled()
    first = await manually_analyzed(app)
    assert None not in first.values()  # every table, the never-analysed empty ones too
    async with app.state.engine.connect() as conn:
        assert await estimated_rows(conn, await _default_id(conn), "events") == statistics.MIN_ROWS

    # Twice as many events stored: the estimate of events (1,000) is not under half of 2,000,
    # so that table is left alone, while the still empty outbox tables are looked at again.
    await asyncio.gather(*(send(n) for n in range(statistics.MIN_ROWS, 2 * statistics.MIN_ROWS)))
    await batcher.growth.settled()
    second = await manually_analyzed(app)
    assert second["events"] == first["events"]
    assert second["webhook_messages"] > first["webhook_messages"]


async def _default_id(conn: AsyncConnection) -> UUID:
    return (await default_workspace(conn)).id
