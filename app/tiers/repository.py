"""Queries for schemes, their versions, customers' tiers and the tier history."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.repository import config_changed
from app.db import Record
from app.tiers.policy import Assignment, Override, Scheme, parse_stored

_ACTIVE = text(
    """
    SELECT s.key, s.version, CAST(v.definition AS text) AS definition
    FROM schemes s
    JOIN scheme_versions v
      ON v.workspace_id = s.workspace_id AND v.scheme_key = s.key AND v.version = s.version
    WHERE s.workspace_id = :ws AND s.archived_at IS NULL
    ORDER BY s.key
    """
)


async def active_schemes(conn: AsyncConnection, workspace_id: UUID) -> list[Scheme]:
    rows = (await conn.execute(_ACTIVE, {"ws": workspace_id})).all()
    return [parse_stored(row.key, row.version, row.definition) for row in rows]


async def lock_schemes(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Serialises changes to a workspace's schemes, so that two saves cannot each pass the
    cycle check against the other's old version."""
    await conn.execute(
        text(
            "SELECT pg_advisory_xact_lock("
            "hashtextextended('schemes:' || CAST(CAST(:ws AS uuid) AS text), 0))"
        ),
        {"ws": workspace_id},
    )


_WITH_CURRENT_VERSION = """
    SELECT s.key, s.version, s.created_at, s.updated_at, s.archived_at,
           v.definition, v.saved_by, v.saved_at, v.job_id
    FROM schemes s
    JOIN scheme_versions v
      ON v.workspace_id = s.workspace_id AND v.scheme_key = s.key AND v.version = s.version
"""


async def get_scheme(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record | None:
    result = await conn.execute(
        text(f"{_WITH_CURRENT_VERSION} WHERE s.workspace_id = :ws AND s.key = :key"),
        {"ws": workspace_id, "key": key},
    )
    return result.first()


async def scheme_page(
    conn: AsyncConnection, workspace_id: UUID, after: str | None, limit: int, archived: bool
) -> list[Record]:
    result = await conn.execute(
        text(
            f"""
            {_WITH_CURRENT_VERSION}
            WHERE s.workspace_id = :ws AND s.key > :after
              AND (:archived OR s.archived_at IS NULL)
            ORDER BY s.key
            LIMIT :limit
            """
        ),
        {"ws": workspace_id, "after": after or "", "limit": limit + 1, "archived": archived},
    )
    return list(result.all())


async def get_version(
    conn: AsyncConnection, workspace_id: UUID, key: str, version: int
) -> Record | None:
    result = await conn.execute(
        text(
            "SELECT scheme_key AS key, version, definition, saved_by, saved_at, job_id "
            "FROM scheme_versions "
            "WHERE workspace_id = :ws AND scheme_key = :key AND version = :version"
        ),
        {"ws": workspace_id, "key": key, "version": version},
    )
    return result.first()


async def save_version(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    definition: dict[str, Any],
    saved_by: UUID | None,
    now: datetime,
) -> tuple[int, bool]:
    """Stores a new version and makes it current (un-archiving the scheme); returns the
    version number and whether the scheme is new or was archived. The caller holds the
    schemes' lock (``lock_schemes``), so the scheme read first is the one then saved."""
    before = (
        await conn.execute(
            text("SELECT archived_at FROM schemes WHERE workspace_id = :ws AND key = :key"),
            {"ws": workspace_id, "key": key},
        )
    ).one_or_none()
    # No subquery in the RETURNING: a distributed PostgreSQL (Citus) refuses one there.
    row = (
        await conn.execute(
            text(
                """
                INSERT INTO schemes AS s (workspace_id, key, version, created_at, updated_at)
                VALUES (:ws, :key, 1, :now, :now)
                ON CONFLICT (workspace_id, key) DO UPDATE
                SET version = s.version + 1, updated_at = EXCLUDED.updated_at,
                    archived_at = NULL
                RETURNING version
                """
            ),
            {"ws": workspace_id, "key": key, "now": now},
        )
    ).one()
    created = before is None or before.archived_at is not None
    await conn.execute(
        text(
            """
            INSERT INTO scheme_versions
                (workspace_id, scheme_key, version, definition, saved_by, saved_at)
            VALUES (:ws, :key, :version, CAST(:definition AS jsonb), :saved_by, :now)
            """
        ),
        {
            "ws": workspace_id,
            "key": key,
            "version": row.version,
            "definition": json.dumps(definition),
            "saved_by": saved_by,
            "now": now,
        },
    )
    await config_changed(conn, workspace_id)
    return int(row.version), created


async def set_version_job(
    conn: AsyncConnection, workspace_id: UUID, key: str, version: int, job_id: UUID
) -> None:
    await conn.execute(
        text(
            "UPDATE scheme_versions SET job_id = :job "
            "WHERE workspace_id = :ws AND scheme_key = :key AND version = :version"
        ),
        {"ws": workspace_id, "key": key, "version": version, "job": job_id},
    )


async def archive(conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime) -> bool:
    """Archives the scheme and drops its current assignments (the history stays)."""
    result = await conn.execute(
        text(
            "UPDATE schemes SET archived_at = :now, updated_at = :now "
            "WHERE workspace_id = :ws AND key = :key AND archived_at IS NULL RETURNING 1"
        ),
        {"ws": workspace_id, "key": key, "now": now},
    )
    if result.first() is None:
        return False
    await conn.execute(
        text("DELETE FROM customer_tiers WHERE workspace_id = :ws AND scheme_key = :key"),
        {"ws": workspace_id, "key": key},
    )
    await config_changed(conn, workspace_id)
    return True


ASSIGNMENT_COLUMNS = (
    "scheme_key",
    "tier",
    "version",
    "since",
    "downgrade_to",
    "downgrade_since",
    "downgrade_at",
    "override_tier",
    "override_reason",
    "override_set_at",
    "override_expires_at",
)
"""The columns of ``customer_tiers`` an ``Assignment`` is read from, in this order."""


def assignment_of(row: Any) -> Assignment:
    """The assignment of a ``customer_tiers`` row (columns read as attributes)."""
    return Assignment(
        tier=row.tier,
        version=row.version,
        since=row.since,
        downgrade_to=row.downgrade_to,
        downgrade_since=row.downgrade_since,
        downgrade_at=row.downgrade_at,
        override=None
        if row.override_tier is None
        else Override(
            tier=row.override_tier,
            reason=row.override_reason,
            set_at=row.override_set_at,
            expires_at=row.override_expires_at,
        ),
    )


SHOWN_VERSION = """GREATEST(t.version, (
    SELECT max(v.version) FROM scheme_versions v
    WHERE v.workspace_id = :ws AND v.scheme_key = t.scheme_key
      AND v.version > t.version
      AND (v.applied_at IS NOT NULL OR t.customer_id <= v.applied_through)))"""
"""The version a ``customer_tiers`` row ``t`` shows: the reclassification job rewrites only
the assignments whose tier moves, so a customer unmoved by a newer version holds it once the
version's job has passed the customer (its ``applied_through``) or finished. Bound to the
workspace ``:ws`` itself, not through ``t``: Citus then runs the statement on one shard."""


async def assignments(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str
) -> dict[str, Assignment]:
    columns = ", ".join(c for c in ASSIGNMENT_COLUMNS if c != "version")
    result = await conn.execute(
        text(
            f"SELECT {columns}, {SHOWN_VERSION} AS version FROM customer_tiers t "  # noqa: S608
            "WHERE t.workspace_id = :ws AND t.customer_id = :cid ORDER BY t.scheme_key"
        ),
        {"ws": workspace_id, "cid": customer_id},
    )
    return {row.scheme_key: assignment_of(row) for row in result}


async def record_applied(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    version: int,
    through: str | None,
    finished_at: datetime | None,
) -> None:
    """Moves the version's watermark: it now applies to the customers up to ``through``
    (in id order), and to everyone once ``finished_at`` is set."""
    await conn.execute(
        text(
            "UPDATE scheme_versions SET applied_through = :through, applied_at = :finished_at "
            "WHERE workspace_id = :ws AND scheme_key = :key AND version = :version"
        ),
        {
            "ws": workspace_id,
            "key": key,
            "version": version,
            "through": through,
            "finished_at": finished_at,
        },
    )


async def history_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    scheme: str | None,
    before: int | None,
    limit: int,
) -> list[Record]:
    """Newest first (``limit + 1`` rows: see pagination)."""
    result = await conn.execute(
        text(
            """
            SELECT * FROM tier_history
            WHERE workspace_id = :ws AND customer_id = :cid
              AND (CAST(:scheme AS text) IS NULL OR scheme_key = :scheme)
              AND (CAST(:before AS bigint) IS NULL OR seq < :before)
            ORDER BY seq DESC
            LIMIT :limit
            """
        ),
        {
            "ws": workspace_id,
            "cid": customer_id,
            "scheme": scheme,
            "before": before,
            "limit": limit + 1,
        },
    )
    return list(result.all())


async def tiers_at(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, at: datetime
) -> list[Record]:
    """(scheme_key, tier, version, since) per scheme the customer had a tier in at ``at``: its
    latest change at or before ``at``. A scheme archived at or before ``at`` is left out: its
    customers lost their tiers when it was archived (the history records no change for that).
    """
    result = await conn.execute(
        text(
            """
            SELECT DISTINCT ON (h.scheme_key)
                   h.scheme_key, h.to_tier AS tier, h.version, h.changed_at AS since
            FROM tier_history h
            JOIN schemes s ON s.workspace_id = h.workspace_id AND s.key = h.scheme_key
            WHERE h.workspace_id = :ws AND h.customer_id = :cid AND h.changed_at <= :at
              AND (s.archived_at IS NULL OR s.archived_at > :at)
            ORDER BY h.scheme_key, h.changed_at DESC, h.seq DESC
            """
        ),
        {"ws": workspace_id, "cid": customer_id, "at": at},
    )
    return list(result.all())


async def daily_totals(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, since: date
) -> list[Record]:
    """(day, spend, orders) of the customer's roll-ups from ``since`` on, oldest first: what
    leaves its windowed metrics at each coming midnight."""
    result = await conn.execute(
        text(
            "SELECT day, order_amount - refund_amount AS spend, orders FROM customer_days "
            "WHERE workspace_id = :ws AND customer_id = :cid AND day >= :since ORDER BY day"
        ),
        {"ws": workspace_id, "cid": customer_id, "since": since},
    )
    return list(result.all())


async def set_override(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    key: str,
    override: Override,
) -> bool:
    """Pins the customer's tier in the scheme (the next classification moves it there);
    False when the customer has no tier in the scheme to pin."""
    result = await conn.execute(
        text(
            """
            UPDATE customer_tiers
            SET override_tier = :tier, override_reason = :reason, override_set_at = :set_at,
                override_expires_at = :expires_at
            WHERE workspace_id = :ws AND customer_id = :cid AND scheme_key = :key
            RETURNING 1
            """
        ),
        {
            "ws": workspace_id,
            "cid": customer_id,
            "key": key,
            "tier": override.tier,
            "reason": override.reason,
            "set_at": override.set_at,
            "expires_at": override.expires_at,
        },
    )
    return result.first() is not None


async def end_override(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, now: datetime
) -> bool:
    """Makes an active override expire now (the next classification lets the rules take
    over); False when there is none."""
    result = await conn.execute(
        text(
            """
            UPDATE customer_tiers SET override_expires_at = :now
            WHERE workspace_id = :ws AND customer_id = :cid AND scheme_key = :key
              AND override_tier IS NOT NULL
              AND (override_expires_at IS NULL OR override_expires_at > :now)
            RETURNING 1
            """
        ),
        {"ws": workspace_id, "cid": customer_id, "key": key, "now": now},
    )
    return result.first() is not None


async def with_history(conn: AsyncConnection, workspace_id: UUID, ids: list[str]) -> set[str]:
    """Those of the customers with a tier history row."""
    result = await conn.execute(
        text(
            "SELECT DISTINCT customer_id FROM tier_history "
            "WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[]))"
        ),
        {"ws": workspace_id, "ids": ids},
    )
    return set(result.scalars())


def assignment_row(scheme_key: str, a: Assignment) -> dict[str, Any]:
    """An assignment as a row of ``customer_tiers`` (without its customer)."""
    override = a.override
    return {
        "scheme_key": scheme_key,
        "tier": a.tier,
        "version": a.version,
        "since": a.since,
        "downgrade_to": a.downgrade_to,
        "downgrade_since": a.downgrade_since,
        "downgrade_at": a.downgrade_at,
        "override_tier": None if override is None else override.tier,
        "override_reason": None if override is None else override.reason,
        "override_set_at": None if override is None else override.set_at,
        "override_expires_at": None if override is None else override.expires_at,
    }


async def write_past(
    conn: AsyncConnection,
    workspace_id: UUID,
    assignments: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> None:
    """Writes assignments (``assignment_row`` with a ``customer_id``) over the customers'
    and adds history rows, each with its own ``changed_at``, in list order (their ``seq``
    follows it): one statement whatever their number."""
    if not assignments and not history:
        return
    await conn.execute(
        text(
            """
            WITH tiers AS (
                INSERT INTO customer_tiers AS t (
                    workspace_id, customer_id, scheme_key, tier, version, since,
                    downgrade_to, downgrade_since, downgrade_at,
                    override_tier, override_reason, override_set_at, override_expires_at
                )
                SELECT CAST(:ws AS uuid), a.customer_id, a.scheme_key, a.tier, a.version,
                       a.since, a.downgrade_to, a.downgrade_since, a.downgrade_at,
                       a.override_tier, a.override_reason, a.override_set_at,
                       a.override_expires_at
                FROM json_to_recordset(CAST(:assignments AS json)) AS a(
                    customer_id text, scheme_key text, tier text, version integer,
                    since timestamptz, downgrade_to text, downgrade_since timestamptz,
                    downgrade_at timestamptz, override_tier text, override_reason text,
                    override_set_at timestamptz, override_expires_at timestamptz
                )
                ORDER BY a.customer_id COLLATE "C", a.scheme_key
                ON CONFLICT (workspace_id, customer_id, scheme_key) DO UPDATE SET
                    tier = EXCLUDED.tier, version = EXCLUDED.version, since = EXCLUDED.since,
                    downgrade_to = EXCLUDED.downgrade_to,
                    downgrade_since = EXCLUDED.downgrade_since,
                    downgrade_at = EXCLUDED.downgrade_at
            )
            INSERT INTO tier_history (
                workspace_id, customer_id, scheme_key, version, from_tier, to_tier,
                changed_at, reason, cause
            )
            SELECT CAST(:ws AS uuid), h.customer_id, h.scheme_key, h.version, h.from_tier,
                   h.to_tier, h.changed_at, h.reason, h.cause
            FROM json_to_recordset(CAST(:history AS json)) AS h(
                customer_id text, scheme_key text, version integer, from_tier text,
                to_tier text, changed_at timestamptz, reason text, cause jsonb, ord integer
            )
            ORDER BY h.ord
            """
        ),
        {
            "ws": workspace_id,
            "assignments": to_json(assignments).decode(),
            "history": to_json([{**row, "ord": n} for n, row in enumerate(history)]).decode(),
        },
    )
