"""Distributing the schema on Citus, run by every migration when the database has the extension.

Tierline shards by workspace: ``workspaces`` and ``api_keys`` (read before the workspace is
known, by key hash) are reference tables, copied to every node; every other table is
distributed by ``workspace_id`` and colocated with ``customers``, so that one workspace's rows
of every table live in one shard group and a statement about one workspace runs on one node.

The step runs at the end of the migrations' transaction (``migrations/env.py``), so a database
migrated by a Tierline that predates it, or a migration that adds a table, ends distributed,
and a failure leaves the database as it was. Tables are distributed in foreign-key order: a
distributed table may only reference reference tables and tables colocated with it. A
migration that fills a new table from a distributed one calls :func:`distribute` itself, after
creating it, since Citus does not join a local table with a distributed one.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

REFERENCE_TABLES = ("workspaces", "api_keys")
DISTRIBUTION_COLUMN = "workspace_id"
COLOCATED_WITH = "customers"
# Alembic's bookkeeping, read and written only by the migrations on the coordinator.
LOCAL_TABLES = ("alembic_version",)

_HAS_CITUS = text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")

# Tables of the schema Citus knows nothing of. (A Citus "local table added to metadata", made
# by a foreign key to a reference table while ``enable_local_reference_table_foreign_keys``
# is on, is in ``pg_dist_partition`` but neither distributed nor a reference table: listed too.)
_UNDISTRIBUTED = text(
    """
    SELECT c.relname FROM pg_class c
    LEFT JOIN pg_dist_partition p ON p.logicalrelid = c.oid
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition
      AND (p.logicalrelid IS NULL OR (p.partmethod = 'n' AND p.repmodel <> 't'))
      AND c.relname <> ALL(CAST(:local AS text[]))
    ORDER BY c.relname
    """
)

# The tables each table references, other than itself, and whether Citus has placed them.
_REFERENCED = text(
    """
    SELECT c.relname, array_remove(array_agg(DISTINCT r.relname), NULL) AS waits_for
    FROM pg_class c
    LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' AND k.confrelid <> c.oid
    LEFT JOIN pg_class r ON r.oid = k.confrelid
      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = r.oid
                      AND (p.partmethod = 'h' OR p.repmodel = 't'))
    WHERE c.relname = ANY(CAST(:tables AS text[])) AND c.relnamespace = 'public'::regnamespace
    GROUP BY c.relname
    """
)


class NotDistributed(RuntimeError):
    """Tables left on the coordinator alone, or Citus required and missing."""


def has_citus(connection: Connection) -> bool:
    return bool(connection.execute(_HAS_CITUS).scalar_one())


def prepare(connection: Connection) -> None:
    """Settings for the migrations' transaction on Citus: DDL on distributed tables shard by
    shard over one connection per node, so that a later statement of the transaction may
    touch the same shards; and tables a migration creates with a foreign key to a reference
    table stay plain local tables until :func:`distribute` places them."""
    connection.execute(text("SET LOCAL citus.multi_shard_modify_mode = 'sequential'"))
    connection.execute(text("SET LOCAL citus.enable_local_reference_table_foreign_keys = off"))


def undistributed_tables(connection: Connection) -> list[str]:
    """The tables, besides Alembic's, that Citus has neither distributed nor replicated."""
    rows = connection.execute(_UNDISTRIBUTED, {"local": list(LOCAL_TABLES)})
    return [str(name) for name in rows.scalars()]


def distribute(connection: Connection) -> list[str]:
    """Places every table of the schema that is not placed yet; returns those it placed."""
    placed: list[str] = []
    for table in REFERENCE_TABLES:
        if table in undistributed_tables(connection):
            connection.execute(text("SELECT create_reference_table(:t)"), {"t": table})
            placed.append(table)
    if COLOCATED_WITH in undistributed_tables(connection):
        _distribute_table(connection, COLOCATED_WITH, colocate=False)
        placed.append(COLOCATED_WITH)
    while pending := undistributed_tables(connection):
        waits = {
            str(row.relname): list(row.waits_for)
            for row in connection.execute(_REFERENCED, {"tables": pending})
        }
        ready = [table for table in pending if not waits.get(table)]
        if not ready:
            raise NotDistributed(
                "these tables reference each other in a cycle or a table Citus cannot "
                f"place: {', '.join(pending)}"
            )
        for table in ready:
            _distribute_table(connection, table, colocate=True)
            placed.append(table)
    return placed


def _distribute_table(connection: Connection, table: str, *, colocate: bool) -> None:
    colocate_with = COLOCATED_WITH if colocate else "none"
    connection.execute(
        text("SELECT create_distributed_table(:t, :column, colocate_with => :with)"),
        {"t": table, "column": DISTRIBUTION_COLUMN, "with": colocate_with},
    )


def check(connection: Connection) -> None:
    """Fails when a table but Alembic's is left on the coordinator alone."""
    left = undistributed_tables(connection)
    if left:
        raise NotDistributed(f"tables left undistributed on Citus: {', '.join(left)}")
