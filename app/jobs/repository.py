"""Queries for background jobs.

Every statement that locks or writes names one workspace (a distributed PostgreSQL such as
Citus runs ``FOR UPDATE`` only within one shard); only the look for workspaces with due work
reads across them, without locks."""

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
    target: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO jobs (workspace_id, id, kind, status, params, target, created_at) "
            "VALUES (:ws, :id, :kind, 'queued', CAST(:params AS jsonb), :target, :now)"
        ),
        {
            "ws": workspace_id,
            "id": job_id,
            "kind": kind,
            "params": json.dumps(params),
            "target": target,
            "now": now,
        },
    )


async def supersede(
    conn: AsyncConnection, workspace_id: UUID, target: str, newer: UUID, now: datetime
) -> None:
    """Marks the unfinished jobs for ``target`` superseded by ``newer``, except one a worker
    is running a chunk of right now: it sees ``newer`` when it is claimed again."""
    await conn.execute(
        text(
            """
            UPDATE jobs SET status = 'superseded', superseded_by = :newer, finished_at = :now
            WHERE workspace_id = :ws AND id IN (
                SELECT id FROM jobs
                WHERE workspace_id = :ws AND target = :target AND status IN ('queued', 'running')
                  AND id <> :newer
                FOR UPDATE SKIP LOCKED
            )
            """
        ),
        {"ws": workspace_id, "target": target, "newer": newer, "now": now},
    )


async def get(conn: AsyncConnection, workspace_id: UUID, job_id: UUID) -> Record | None:
    result = await conn.execute(
        text("SELECT * FROM jobs WHERE workspace_id = :ws AND id = :id"),
        {"ws": workspace_id, "id": job_id},
    )
    return result.first()


async def workspaces_with_due_jobs(conn: AsyncConnection, now: datetime) -> list[UUID]:
    """The workspaces with an unfinished job that may run now, read without locks."""
    result = await conn.execute(
        text(
            """
            SELECT DISTINCT workspace_id FROM jobs
            WHERE status IN ('queued', 'running') AND (not_before IS NULL OR not_before <= :now)
            ORDER BY workspace_id
            """
        ),
        {"now": now},
    )
    return list(result.scalars())


async def claim(conn: AsyncConnection, workspace_id: UUID, now: datetime) -> Record | None:
    """The workspace's oldest due job that no other worker holds, locked until the caller
    commits. A job waits while an older one for its target is unfinished (a CLV fit while
    another fit runs, a segment's version while a worker finishes a chunk of the one before)."""
    result = await conn.execute(
        text(
            """
            SELECT * FROM jobs j
            WHERE j.workspace_id = :ws AND j.status IN ('queued', 'running')
              AND (j.not_before IS NULL OR j.not_before <= :now)
              AND NOT EXISTS (
                  SELECT 1 FROM jobs older
                  WHERE older.workspace_id = :ws AND older.target = j.target
                    AND older.status IN ('queued', 'running') AND older.seq < j.seq
              )
            ORDER BY j.created_at, j.seq
            LIMIT 1
            FOR UPDATE OF j SKIP LOCKED
            """
        ),
        {"ws": workspace_id, "now": now},
    )
    return result.first()


async def newer_for_target(conn: AsyncConnection, job: Record) -> UUID | None:
    """The newest unfinished job for the same target created after ``job``, if any."""
    result = await conn.execute(
        text(
            """
            SELECT id FROM jobs
            WHERE workspace_id = :ws AND target = :target AND status IN ('queued', 'running')
              AND seq > :seq
            ORDER BY seq DESC
            LIMIT 1
            """
        ),
        {"ws": job.workspace_id, "target": job.target, "seq": job.seq},
    )
    return result.scalar()


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
                attempts = 0, not_before = NULL,
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


async def record_superseded(conn: AsyncConnection, job: Record, newer: UUID, now: datetime) -> None:
    await conn.execute(
        text(
            "UPDATE jobs SET status = 'superseded', superseded_by = :newer, finished_at = :now "
            "WHERE workspace_id = :ws AND id = :id"
        ),
        {"ws": job.workspace_id, "id": job.id, "newer": newer, "now": now},
    )


async def retry_later(
    conn: AsyncConnection, job: Record, attempts: int, not_before: datetime
) -> None:
    """Leaves the job claimable again at ``not_before``, unless it finished meanwhile."""
    await conn.execute(
        text(
            """
            UPDATE jobs SET attempts = :attempts, not_before = :not_before
            WHERE workspace_id = :ws AND id = :id AND status IN ('queued', 'running')
            """
        ),
        {"ws": job.workspace_id, "id": job.id, "attempts": attempts, "not_before": not_before},
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


async def cancel_unfinished(
    conn: AsyncConnection, workspace_id: UUID, reason: str, now: datetime
) -> None:
    """Cancels the workspace's unfinished jobs; waits for a chunk running now to commit."""
    await conn.execute(
        text(
            """
            UPDATE jobs SET status = 'cancelled', error = :reason, finished_at = :now
            WHERE workspace_id = :ws AND status IN ('queued', 'running')
            """
        ),
        {"ws": workspace_id, "reason": reason, "now": now},
    )
