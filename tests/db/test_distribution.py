"""On Citus, migrations distribute the schema by workspace (``app.db.distribution``): on a
new database, on one migrated before, and on one distributed by an older revision."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.db.distribution import NotDistributed
from app.db.migrate import upgrade
from app.db.url import asyncpg_dsn, with_database
from tests.cluster import Server, add_citus, create_database, drop_database

pytestmark = pytest.mark.citus


@pytest.fixture
def cluster(server: Server) -> Server:
    if not server.citus:
        pytest.skip("needs a Citus cluster (TIERLINE_TEST_DATABASE_URL on its coordinator)")
    return server


@pytest.fixture
async def empty_database(server: Server) -> AsyncIterator[str]:
    """A database with nothing in it on every node (Citus and its workers registered on a
    cluster), dropped after the test."""
    name = f"t_empty_{uuid.uuid4().hex[:12]}"
    await create_database(server, name)
    yield with_database(server.url, name)
    await drop_database(server, name)


async def _placement(url: str) -> dict[str, tuple[str, str | None, int]]:
    """Each table's Citus placement: method (``n`` reference, ``h`` hash), distribution
    column and colocation group."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT logicalrelid::text AS name, partmethod::text AS method, "
            "column_to_column_name(logicalrelid, partkey) AS column, colocationid "
            "FROM pg_dist_partition"
        )
    finally:
        await conn.close()
    return {row["name"]: (row["method"], row["column"], row["colocationid"]) for row in rows}


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT relname FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
        )
    finally:
        await conn.close()
    return {row["relname"] for row in rows}


async def _assert_distributed_by_workspace(url: str) -> None:
    placement = await _placement(url)
    assert set(placement) == await _tables(url) - {"alembic_version"}
    assert placement["workspaces"][0] == "n"
    assert placement["api_keys"][0] == "n"
    tenant = {name: p for name, p in placement.items() if name not in ("workspaces", "api_keys")}
    assert {(method, column) for method, column, _ in tenant.values()} == {("h", "workspace_id")}
    assert len({group for _, _, group in tenant.values()}) == 1


async def test_every_table_but_alembics_is_distributed_by_workspace_and_colocated(
    cluster: Server, database_url: str
) -> None:
    await _assert_distributed_by_workspace(database_url)


async def test_migrations_on_an_already_distributed_database_distribute_the_new_tables(
    cluster: Server, empty_database: str
) -> None:
    await asyncio.to_thread(upgrade, empty_database, "0012")
    before = await _placement(empty_database)
    assert "pending_classifications" not in before
    assert len(before) == len(await _tables(empty_database)) - 1

    await asyncio.to_thread(upgrade, empty_database)

    await _assert_distributed_by_workspace(empty_database)
    assert "pending_classifications" in await _placement(empty_database)


async def test_migrate_distributes_a_database_that_ran_on_one_postgresql(
    cluster: Server,
) -> None:
    """An existing installation moves to Citus: its database restored on the coordinator
    (here: migrated before the extension existed), the extension added, `tierline migrate`."""
    name = f"t_plain_{uuid.uuid4().hex[:12]}"
    await create_database(cluster, name, citus=False)
    url = with_database(cluster.url, name)
    try:
        await asyncio.to_thread(upgrade, url)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            workspace = uuid.uuid4()
            await conn.execute(
                "INSERT INTO workspaces (id, slug, name) VALUES ($1, 'old', 'Old')", workspace
            )
            await conn.execute(
                "INSERT INTO customers (workspace_id, customer_id, created_at, updated_at) "
                "VALUES ($1, 'c1', now(), now())",
                workspace,
            )
        finally:
            await conn.close()
        await add_citus(cluster, name)

        await asyncio.to_thread(upgrade, url)

        await _assert_distributed_by_workspace(url)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            assert await conn.fetchval("SELECT count(*) FROM customers") == 1
            nodes = await conn.fetchval(
                "SELECT count(DISTINCT nodeport) FROM citus_shards "
                "WHERE table_name = 'customers'::regclass"
            )
            assert nodes == len(cluster.workers)
        finally:
            await conn.close()
    finally:
        await drop_database(cluster, name)


async def test_require_citus_refuses_a_database_without_the_extension(
    server: Server, database_url: str
) -> None:
    if server.citus:
        pytest.skip("the test database has Citus")
    with pytest.raises(NotDistributed, match="Citus"):
        await asyncio.to_thread(upgrade, database_url, require_citus=True)
