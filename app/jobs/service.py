"""Background jobs: created inside the transaction of what asked for them, then run one chunk
per transaction by any worker (claimed with SKIP LOCKED, so several may run at once).

A handler gets the job row (with its ``cursor``) and returns its progress; the chunk's work and
the progress commit together, so a job resumes where it stopped after a crash.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.clock import Clock
from app.db import Record
from app.errors import NotFound
from app.jobs import repository

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Progress:
    cursor: str | None
    done: int
    total: int | None
    finished: bool


Handler = Callable[[AsyncConnection, Record, datetime], Awaitable[Progress]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


class JobNotFound(NotFound):
    pass


async def create(
    conn: AsyncConnection, workspace_id: UUID, kind: str, params: dict[str, Any], now: datetime
) -> UUID:
    job_id = uuid.uuid4()
    await repository.insert(conn, workspace_id, job_id, kind, params, now)
    return job_id


async def get(conn: AsyncConnection, workspace_id: UUID, job_id: UUID) -> Record:
    row = await repository.get(conn, workspace_id, job_id)
    if row is None:
        raise JobNotFound("No such job in this workspace.")
    return row


async def run_one_chunk(engine: AsyncEngine, clock: Clock) -> bool:
    """Runs one chunk of the oldest available job; False when there was nothing to do."""
    async with engine.connect() as conn, conn.begin():
        job = await repository.claim(conn)
        if job is None:
            return False
        try:
            async with conn.begin_nested():
                progress = await HANDLERS[job.kind](conn, job, clock.now())
        except Exception as error:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            await repository.record_failure(
                conn, job.workspace_id, job.id, f"{type(error).__name__}: {error}", clock.now()
            )
            return True
        await repository.record_progress(
            conn,
            job,
            cursor=progress.cursor,
            done=progress.done,
            total=progress.total,
            finished=progress.finished,
            now=clock.now(),
        )
    return True


async def run_until_idle(engine: AsyncEngine, clock: Clock, max_chunks: int = 100_000) -> int:
    """Runs chunks until no job is left; for tests and the CLI. Returns the chunks run."""
    chunks = 0
    while chunks < max_chunks and await run_one_chunk(engine, clock):
        chunks += 1
    return chunks
