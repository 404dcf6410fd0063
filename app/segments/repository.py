"""Queries for saved segments, their members and the membership history."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.repository import config_changed
from app.db import Record
from app.segments.model import Segment, segment_from_condition


@lru_cache(maxsize=1024)
def parse_stored(key: str, version: int, condition_text: str) -> Segment:
    """A stored segment, parsed once per version (the text was checked when it was saved)."""
    return segment_from_condition(key, version, json.loads(condition_text))


async def active_segments(conn: AsyncConnection, workspace_id: UUID) -> list[Segment]:
    result = await conn.execute(
        text(
            "SELECT key, version, CAST(condition AS text) AS condition FROM segments "
            "WHERE workspace_id = :ws AND archived_at IS NULL ORDER BY key"
        ),
        {"ws": workspace_id},
    )
    return [parse_stored(row.key, row.version, row.condition) for row in result]


async def get(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record | None:
    result = await conn.execute(
        text("SELECT * FROM segments WHERE workspace_id = :ws AND key = :key"),
        {"ws": workspace_id, "key": key},
    )
    return result.first()


async def page(
    conn: AsyncConnection, workspace_id: UUID, after: str | None, limit: int, archived: bool
) -> list[Record]:
    result = await conn.execute(
        text(
            """
            SELECT * FROM segments
            WHERE workspace_id = :ws AND key > :after AND (:archived OR archived_at IS NULL)
            ORDER BY key
            LIMIT :limit
            """
        ),
        {"ws": workspace_id, "after": after or "", "limit": limit + 1, "archived": archived},
    )
    return list(result.all())


async def save(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    definition: dict[str, Any],
    saved_by: UUID | None,
    now: datetime,
) -> tuple[int, bool]:
    """Stores the definition as the segment's next version (un-archiving it; the caller
    holds the schemes' lock, so the segment read first is the one then saved); returns the
    version and whether the segment is new or was archived."""
    before = (
        await conn.execute(
            text("SELECT archived_at FROM segments WHERE workspace_id = :ws AND key = :key"),
            {"ws": workspace_id, "key": key},
        )
    ).one_or_none()
    # No subquery in the RETURNING: a distributed PostgreSQL (Citus) refuses one there.
    row = (
        await conn.execute(
            text(
                """
                INSERT INTO segments AS s (
                    workspace_id, key, version, name, description, condition, saved_by,
                    created_at, updated_at
                )
                VALUES (:ws, :key, 1, :name, :description, CAST(:condition AS jsonb),
                        :saved_by, :now, :now)
                ON CONFLICT (workspace_id, key) DO UPDATE
                SET version = s.version + 1, name = EXCLUDED.name,
                    description = EXCLUDED.description, condition = EXCLUDED.condition,
                    saved_by = EXCLUDED.saved_by, updated_at = EXCLUDED.updated_at,
                    job_id = NULL, archived_at = NULL
                RETURNING version
                """
            ),
            {
                "ws": workspace_id,
                "key": key,
                "name": definition["name"],
                "description": definition.get("description"),
                "condition": json.dumps(definition["condition"]),
                "saved_by": saved_by,
                "now": now,
            },
        )
    ).one()
    await config_changed(conn, workspace_id)
    return int(row.version), before is None or before.archived_at is not None


async def set_job(conn: AsyncConnection, workspace_id: UUID, key: str, job_id: UUID) -> None:
    await conn.execute(
        text("UPDATE segments SET job_id = :job WHERE workspace_id = :ws AND key = :key"),
        {"ws": workspace_id, "key": key, "job": job_id},
    )


async def archive(conn: AsyncConnection, workspace_id: UUID, key: str, now: datetime) -> None:
    """Archives the segment and drops its members (their history stays)."""
    await conn.execute(
        text(
            "UPDATE segments SET archived_at = :now, updated_at = :now "
            "WHERE workspace_id = :ws AND key = :key AND archived_at IS NULL"
        ),
        {"ws": workspace_id, "key": key, "now": now},
    )
    await conn.execute(
        text("DELETE FROM segment_members WHERE workspace_id = :ws AND segment_key = :key"),
        {"ws": workspace_id, "key": key},
    )
    await config_changed(conn, workspace_id)


async def members_page(
    conn: AsyncConnection, workspace_id: UUID, key: str, after: str | None, limit: int
) -> list[Record]:
    result = await conn.execute(
        text(
            """
            SELECT customer_id, since FROM segment_members
            WHERE workspace_id = :ws AND segment_key = :key AND customer_id > :after
            ORDER BY customer_id
            LIMIT :limit
            """
        ),
        {"ws": workspace_id, "key": key, "after": after or "", "limit": limit + 1},
    )
    return list(result.all())


async def member_count(conn: AsyncConnection, workspace_id: UUID, key: str) -> int:
    result = await conn.execute(
        text(
            "SELECT count(*) FROM segment_members WHERE workspace_id = :ws AND segment_key = :key"
        ),
        {"ws": workspace_id, "key": key},
    )
    return int(result.scalar_one())


async def customer_segments(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str
) -> list[Record]:
    result = await conn.execute(
        text(
            """
            SELECT m.segment_key AS key, s.name, m.since
            FROM segment_members m
            JOIN segments s ON s.workspace_id = m.workspace_id AND s.key = m.segment_key
            WHERE m.workspace_id = :ws AND m.customer_id = :cid
            ORDER BY m.segment_key
            """
        ),
        {"ws": workspace_id, "cid": customer_id},
    )
    return list(result.all())


async def history_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    before: int | None,
    limit: int,
) -> list[Record]:
    result = await conn.execute(
        text(
            """
            SELECT * FROM segment_history
            WHERE workspace_id = :ws AND customer_id = :cid
              AND seq < COALESCE(CAST(:before AS bigint), 9223372036854775807)
            ORDER BY seq DESC
            LIMIT :limit
            """
        ),
        {"ws": workspace_id, "cid": customer_id, "before": before, "limit": limit + 1},
    )
    return list(result.all())


async def with_history(conn: AsyncConnection, workspace_id: UUID, ids: list[str]) -> set[str]:
    """Those of the customers with a segment history row."""
    result = await conn.execute(
        text(
            "SELECT DISTINCT customer_id FROM segment_history "
            "WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[]))"
        ),
        {"ws": workspace_id, "ids": ids},
    )
    return set(result.scalars())


async def write_past(
    conn: AsyncConnection,
    workspace_id: UUID,
    members: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> None:
    """Adds memberships (``customer_id``, ``segment_key``, ``since``) the customers did not
    have, and history rows, each with its own ``changed_at``, in list order: one statement
    whatever their number."""
    if not members and not history:
        return
    await conn.execute(
        text(
            """
            WITH members AS (
                INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
                SELECT CAST(:ws AS uuid), m.segment_key, m.customer_id, m.since
                FROM json_to_recordset(CAST(:members AS json)) AS m(
                    customer_id text, segment_key text, since timestamptz
                )
                ORDER BY m.customer_id COLLATE "C", m.segment_key
            )
            INSERT INTO segment_history (
                workspace_id, customer_id, segment_key, version, change, changed_at, reason,
                cause
            )
            SELECT CAST(:ws AS uuid), h.customer_id, h.segment_key, h.version, h.change,
                   h.changed_at, h.reason, h.cause
            FROM json_to_recordset(CAST(:history AS json)) AS h(
                customer_id text, segment_key text, version integer, change text,
                changed_at timestamptz, reason text, cause jsonb, ord integer
            )
            ORDER BY h.ord
            """
        ),
        {
            "ws": workspace_id,
            "members": to_json(members).decode(),
            "history": to_json([{**row, "ord": n} for n, row in enumerate(history)]).decode(),
        },
    )
