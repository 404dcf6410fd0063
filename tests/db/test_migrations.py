"""Migrations build the schema the code declares, and undo it completely."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
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


# --- migration 0016: one number for money ----------------------------------------------------
# It rounds the amounts converted into a base currency before it to the currency's minor
# units, and everything summed from them with them.

WS = uuid.UUID("11111111-1111-4111-8111-111111111111")
YEN = uuid.UUID("22222222-2222-4222-8222-222222222222")


async def _seed(conn: asyncpg.Connection) -> None:
    """What the code before 0016 stored: 99.90 USD at 0.92 as 91.908 EUR, 10.50 USD at 150.25
    as 1577.625 JPY, beside amounts in the base currency, which stay as they are."""
    await conn.execute(
        "INSERT INTO workspaces (id, slug, name, base_currency) VALUES "
        "($1, 'eu', 'EU', 'EUR'), ($2, 'jp', 'JP', 'JPY')",
        WS,
        YEN,
    )
    events = [
        (WS, "o1", "c1", "order", "2026-11-01 10:00Z", "99.90", "USD", "91.908", "0.92"),
        (WS, "o2", "c1", "order", "2026-11-01 11:00Z", "10.00", "EUR", "10.00", None),
        (WS, "r1", "c1", "refund", "2026-11-02 10:00Z", "10.05", "USD", "9.246", "0.92"),
        (YEN, "o3", "c9", "order", "2026-11-01 10:00Z", "10.50", "USD", "1577.625", "150.25"),
    ]
    for ws, event_id, customer, type_, at, amount, currency, base, rate in events:
        await conn.execute(
            "INSERT INTO events (workspace_id, event_id, customer_id, type, occurred_at, amount, "
            "currency, amount_base, fx_rate, properties, fingerprint, received_at) "
            "VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6::text::numeric, $7, "
            "$8::text::numeric, $9::text::numeric, '{}', '\\x00', now())",
            ws, event_id, customer, type_, at, amount, currency, base, rate,
        )  # fmt: skip
    await conn.execute(
        "INSERT INTO customers (workspace_id, customer_id, order_count, order_total, "
        "refund_total, created_at, updated_at) VALUES "
        "($1, 'c1', 2, 101.908, 9.246, now(), now()), ($2, 'c9', 1, 1577.625, 0, now(), now())",
        WS,
        YEN,
    )
    await conn.execute(
        "INSERT INTO customer_days (workspace_id, customer_id, day, orders, order_amount, "
        "refund_amount) VALUES ($1, 'c1', '2026-11-01', 2, 101.908, 0), "
        "($1, 'c1', '2026-11-02', 0, 0, 9.246), ($2, 'c9', '2026-11-01', 1, 1577.625, 0)",
        WS,
        YEN,
    )
    # A metric over the order amount, with the roll-ups the old amounts gave.
    await conn.execute(
        "INSERT INTO metric_sources (workspace_id, event_type, property, ready) "
        "VALUES ($1, 'order', '', true)",
        WS,
    )
    await conn.execute(
        "INSERT INTO customer_source_totals (workspace_id, customer_id, event_type, property, "
        "events, n, total, low, high, last_at, last_event_id, last_value) VALUES "
        "($1, 'c1', 'order', '', 2, 2, 101.908, 10.00, 91.908, '2026-11-01 11:00Z', 'o2', 10.00)",
        WS,
    )


async def test_converted_amounts_and_their_sums_are_rounded_to_minor_units(
    empty_database: str,
) -> None:
    await asyncio.to_thread(upgrade, empty_database, "0015")
    conn = await asyncpg.connect(_dsn(empty_database))
    try:
        await _seed(conn)
        await asyncio.to_thread(upgrade, empty_database, "0016")
        amounts = {
            r["event_id"]: r["amount_base"]
            for r in await conn.fetch("SELECT event_id, amount_base FROM events")
        }
        customers = {
            r["customer_id"]: (r["order_total"], r["refund_total"])
            for r in await conn.fetch("SELECT * FROM customers")
        }
        days = {
            (r["customer_id"], str(r["day"])): (r["order_amount"], r["refund_amount"])
            for r in await conn.fetch("SELECT * FROM customer_days")
        }
        totals = await conn.fetchrow("SELECT * FROM customer_source_totals")
        source_days = await conn.fetch("SELECT * FROM customer_source_days")
    finally:
        await conn.close()

    # Half-even: 91.908 -> 91.91, 9.246 -> 9.25, 1577.625 JPY -> 1578 (no minor unit).
    assert amounts == {
        "o1": Decimal("91.91"),
        "o2": Decimal("10.00"),
        "r1": Decimal("9.25"),
        "o3": Decimal("1578"),
    }
    assert customers == {
        "c1": (Decimal("101.910"), Decimal("9.250")),
        "c9": (Decimal("1577.625") + Decimal("0.375"), Decimal(0)),
    }
    assert days[("c1", "2026-11-01")] == (Decimal("101.910"), Decimal(0))
    assert days[("c1", "2026-11-02")] == (Decimal(0), Decimal("9.250"))
    assert totals is not None
    assert (totals["total"], totals["low"], totals["high"], totals["last_value"]) == (
        Decimal("101.91"),
        Decimal("10.00"),
        Decimal("91.91"),
        Decimal("10.00"),
    )
    assert [(str(r["day"]), r["total"]) for r in source_days] == [("2026-11-01", Decimal("101.91"))]
