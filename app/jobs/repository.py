"""Queries for background jobs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record


async def insert(
    conn: AsyncConnection,
    workspace_id: UUID,
    job_id: UUID,
    kind: str,
    params: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO jobs (workspace_id, id, kind, status, params, created_at) "
            "VALUES (:ws, :id, :kind, 'queued', CAST(:params AS jsonb), :now)"
        ),
        {"ws": workspace_id, "id": job_id, "kind": kind, "params": json.dumps(params), "now": now},
    )


async def get(conn: AsyncConnection, workspace_id: UUID, job_id: UUID) -> Record | None:
    result = await conn.execute(
        text("SELECT * FROM jobs WHERE workspace_id = :ws AND id = :id"),
        {"ws": workspace_id, "id": job_id},
    )
    return result.first()


CLAIM_CANDIDATES = 32


async def claim(conn: AsyncConnection) -> Record | None:
    """The oldest unfinished job no other worker holds; locked until the caller commits.

    The candidates are read without locks, then each is locked alone, within its own
    workspace: a distributed PostgreSQL (Citus) runs ``FOR UPDATE`` only within one shard."""
    candidates = await conn.execute(
        text(
            """
            SELECT workspace_id, id FROM jobs
            WHERE status IN ('queued', 'running')
            ORDER BY created_at, id
            LIMIT :limit
            """
        ),
        {"limit": CLAIM_CANDIDATES},
    )
    for candidate in candidates.all():
        result = await conn.execute(
            text(
                """
                SELECT * FROM jobs
                WHERE workspace_id = :ws AND id = :id AND status IN ('queued', 'running')
                FOR UPDATE SKIP LOCKED
                """
            ),
            {"ws": candidate.workspace_id, "id": candidate.id},
        )
        job = result.first()
        if job is not None:
            return job
    return None


async def record_progress(
    conn: AsyncConnection,
    job: Record,
    *,
    cursor: str | None,
    done: int,
    total: int | None,
    finished: bool,
    now: datetime,
) -> None:
    await conn.execute(
        text(
            """
            UPDATE jobs SET
                status = CASE WHEN :finished THEN 'succeeded' ELSE 'running' END,
                cursor = :cursor, done = :done, total = :total,
                started_at = COALESCE(started_at, :now),
                finished_at = CASE WHEN :finished THEN CAST(:now AS timestamptz) END
            WHERE workspace_id = :ws AND id = :id
            """
        ),
        {
            "ws": job.workspace_id,
            "id": job.id,
            "cursor": cursor,
            "done": done,
            "total": total,
            "finished": finished,
            "now": now,
        },
    )


async def record_failure(
    conn: AsyncConnection, workspace_id: UUID, job_id: UUID, error: str, now: datetime
) -> None:
    await conn.execute(
        text(
            "UPDATE jobs SET status = 'failed', error = :error, finished_at = :now "
            "WHERE workspace_id = :ws AND id = :id"
        ),
        {"ws": workspace_id, "id": job_id, "error": error, "now": now},
    )
