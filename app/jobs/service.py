"""Background jobs: created inside the transaction of what asked for them, then run one chunk
per transaction by any worker (claimed with SKIP LOCKED, so several may run at once).

A handler gets the job row (with its ``cursor``) and returns its progress; the chunk's work and
the progress commit together, so a job resumes where it stopped after a crash.

Fairness: a worker looks (without locks) for the workspaces with due jobs and takes them in
turn, one chunk each, starting after the workspace it served last; a workspace with many jobs
delays another's by at most one chunk per worker.

Targets: a kind may name what a job works on (a segment, a scheme, the CLV model). A newer job
for the same target supersedes the unfinished ones, running or not: every handler with a target
redoes its whole target from the start, so dropping an older job midway loses nothing. A job a
worker holds at that moment keeps running its chunk and is superseded when claimed again; until
then the newer job waits, so one target (one CLV fit of a workspace) never runs twice at once.

Failures: a transient database error (deadlock, serialization failure, lock timeout, lost
connection) undoes the chunk and the job is retried after a backoff, up to ``MAX_ATTEMPTS``
in a row; any other error fails the job. ``job.error`` is a sentence for the API's users; the
exception goes to the server log with the job's id.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.clock import Clock
from app.db import Record
from app.db.errors import QUERY_CANCELED, is_transient, sqlstate
from app.errors import NotFound, TierlineError
from app.jobs import repository

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
"""Transient failures in a row after which a job fails (about 4 minutes of backoff)."""
FIRST_BACKOFF = timedelta(seconds=1)
MAX_BACKOFF = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Progress:
    cursor: str | None
    done: int
    total: int | None
    finished: bool


Handler = Callable[[AsyncConnection, Record, datetime], Awaitable[Progress]]
Target = Callable[[dict[str, Any]], str | None]
HANDLERS: dict[str, Handler] = {}
TARGETS: dict[str, Target] = {}


def handler(kind: str, *, target: Target | None = None) -> Callable[[Handler], Handler]:
    """Registers the handler of ``kind``; ``target`` names what a job works on, from its
    params, when a newer job for the same thing makes it pointless."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        if target is not None:
            TARGETS[kind] = target
        return function

    return register


class JobNotFound(NotFound):
    pass


class JobFailed(Exception):
    """A failure a handler explains in words for the API's users; the job fails with it."""


async def create(
    conn: AsyncConnection, workspace_id: UUID, kind: str, params: dict[str, Any], now: datetime
) -> UUID:
    """Queues a job; it supersedes the unfinished jobs for the same target."""
    job_id = uuid.uuid4()
    target = TARGETS[kind](params) if kind in TARGETS else None
    await repository.insert(conn, workspace_id, job_id, kind, params, target, now)
    if target is not None:
        await repository.supersede(conn, workspace_id, target, job_id, now)
    return job_id


async def get(conn: AsyncConnection, workspace_id: UUID, job_id: UUID) -> Record:
    row = await repository.get(conn, workspace_id, job_id)
    if row is None:
        raise JobNotFound("No such job in this workspace.")
    return row


async def cancel_workspace(conn: AsyncConnection, workspace_id: UUID, now: datetime) -> None:
    """Drops a deleted workspace's unfinished jobs."""
    await repository.cancel_unfinished(conn, workspace_id, "The workspace was deleted.", now)


class Rotation:
    """A worker's place in the round of workspaces: the next chunk goes to the first
    workspace after the one it served last."""

    def __init__(self) -> None:
        self.last: UUID | None = None

    def order(self, workspaces: Iterable[UUID]) -> list[UUID]:
        ordered = sorted(workspaces)
        if self.last is None:
            return ordered
        after = [w for w in ordered if w > self.last]
        return after + [w for w in ordered if w <= self.last]


async def run_one_chunk(
    engine: AsyncEngine, clock: Clock, rotation: Rotation | None = None
) -> bool:
    """Runs one chunk of the next workspace's oldest due job; False when there was nothing
    to do."""
    rotation = rotation or Rotation()
    async with engine.connect() as conn, conn.begin():
        workspaces = await repository.workspaces_with_due_jobs(conn, clock.now())
    for workspace_id in rotation.order(workspaces):
        if await _run_in(engine, clock, workspace_id):
            rotation.last = workspace_id
            return True
    return False


async def run_until_idle(engine: AsyncEngine, clock: Clock, max_chunks: int = 100_000) -> int:
    """Runs chunks until no job is due; for tests and the CLI. Returns the chunks run."""
    rotation = Rotation()
    chunks = 0
    while chunks < max_chunks and await run_one_chunk(engine, clock, rotation):
        chunks += 1
    return chunks


async def _run_in(engine: AsyncEngine, clock: Clock, workspace_id: UUID) -> bool:
    """Claims the workspace's next job and runs a chunk of it; False when none was free."""
    job: Record | None = None
    try:
        async with engine.connect() as conn, conn.begin():
            job = await repository.claim(conn, workspace_id, clock.now())
            if job is None:
                return False
            await _run_chunk(conn, job, clock)
    except Exception as error:
        if job is None or not is_transient(error):
            raise
        await _retry_later(engine, job, error, clock)
    return True


async def _run_chunk(conn: AsyncConnection, job: Record, clock: Clock) -> None:
    if job.target is not None:
        newer = await repository.newer_for_target(conn, job)
        if newer is not None:
            await repository.record_superseded(conn, job, newer, clock.now())
            return
    try:
        async with conn.begin_nested():
            progress = await HANDLERS[job.kind](conn, job, clock.now())
    except Exception as error:
        if is_transient(error):
            raise  # the whole chunk is undone and retried later
        await repository.record_failure(
            conn, job.workspace_id, job.id, _explain(job, error), clock.now()
        )
        return
    await repository.record_progress(
        conn,
        job,
        cursor=progress.cursor,
        done=progress.done,
        total=progress.total,
        finished=progress.finished,
        now=clock.now(),
    )


async def _retry_later(engine: AsyncEngine, job: Record, error: Exception, clock: Clock) -> None:
    attempts = job.attempts + 1
    async with engine.begin() as conn:
        if attempts >= MAX_ATTEMPTS:
            logger.error(
                "job %s (%s) failed after %d transient errors",
                job.id,
                job.kind,
                attempts,
                exc_info=error,
            )
            message = f"The database was unavailable or busy; retried {attempts} times."
            await repository.record_failure(conn, job.workspace_id, job.id, message, clock.now())
            return
        delay = backoff(attempts)
        logger.warning(
            "job %s (%s) hit a transient error; retry %d in %.1f s",
            job.id,
            job.kind,
            attempts,
            delay.total_seconds(),
            exc_info=error,
        )
        await repository.retry_later(conn, job, attempts, clock.now() + delay)


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s… up to ``MAX_BACKOFF``, each stretched by up to a quarter at random so
    that jobs which failed together do not all come back together."""
    delay: timedelta = min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
    return delay * (1 + random.random() / 4)


def _explain(job: Record, error: Exception) -> str:
    """The job's error in words: never SQL or its parameters, which stay in the server log."""
    if isinstance(error, JobFailed | TierlineError):
        logger.info("job %s (%s) failed: %s", job.id, job.kind, error)
        return str(error)
    error_id = uuid.uuid4().hex[:12]
    logger.error("job %s (%s) failed, error id %s", job.id, job.kind, error_id, exc_info=error)
    if sqlstate(error) == QUERY_CANCELED:
        return (
            "A database statement of the job ran past its time limit and was cancelled "
            f"(error id {error_id})."
        )
    return f"The job failed unexpectedly (error id {error_id}); see the server log."
