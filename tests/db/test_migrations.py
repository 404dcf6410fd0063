"""Migrations build the schema the code declares, and undo it completely."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from app.db.engine import create_engine
from app.db.migrate import downgrade, head_revision, upgrade
from app.db.tables import metadata
from app.db.url import with_database


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    """A database with nothing in it, dropped after the test."""
    name = f"t_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(server_url, name)
    admin = await asyncpg.connect(_dsn(with_database(server_url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _schema_objects(url: str) -> dict[str, set[str]]:
    """Tables, sequences, views, user-defined types and functions in the public schema."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        relations = await conn.fetch(
            """
            SELECT c.relname, c.relkind::text AS relkind FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
            """
        )
        types = await conn.fetch(
            """
            SELECT t.typname FROM pg_type t
            JOIN pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_class c ON c.oid = t.typrelid
            WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c', 'r')
              AND (c.oid IS NULL OR c.relkind = 'c')
            """
        )
        functions = await conn.fetch(
            """
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public'
            """
        )
        version = await conn.fetchval(
            "SELECT version_num FROM alembic_version"
            if any(row["relname"] == "alembic_version" for row in relations)
            else "SELECT NULL"
        )
    finally:
        await conn.close()
    return {
        "tables": {row["relname"] for row in relations if row["relkind"] in ("r", "p")},
        "other_relations": {
            row["relname"] for row in relations if row["relkind"] in ("S", "v", "m")
        },
        "types": {row["typname"] for row in types},
        "functions": {row["proname"] for row in functions},
        "version": {version} if version else set(),
    }


async def test_migrations_upgrade_downgrade_and_upgrade_again_on_an_empty_database(
    empty_database: str,
) -> None:
    declared = set(metadata.tables)
    head = head_revision()
    assert head is not None

    await asyncio.to_thread(upgrade, empty_database)
    migrated = await _schema_objects(empty_database)
    assert migrated["tables"] == declared | {"alembic_version"}
    assert migrated["version"] == {head}

    await asyncio.to_thread(downgrade, empty_database, "base")
    emptied = await _schema_objects(empty_database)
    assert emptied == {
        "tables": {"alembic_version"},
        "other_relations": set(),
        "types": set(),
        "functions": set(),
        "version": set(),
    }

    await asyncio.to_thread(upgrade, empty_database)
    assert await _schema_objects(empty_database) == migrated


async def test_each_revision_downgrades_to_its_predecessor_cleanly(empty_database: str) -> None:
    """Walking down one step at a time from head reaches base without errors."""
    await asyncio.to_thread(upgrade, empty_database)
    steps = 0
    while (await _schema_objects(empty_database))["version"]:
        await asyncio.to_thread(downgrade, empty_database, "-1")
        steps += 1
        assert steps < 1000
    assert steps >= 2
    assert (await _schema_objects(empty_database))["tables"] == {"alembic_version"}


def _differences(sync_conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        sync_conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_schema_built_by_migrations_matches_the_declared_tables(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], (
        "app/db/tables.py and migrations/ disagree; write a migration (or fix tables.py):\n"
        + "\n".join(map(repr, differences))
    )
