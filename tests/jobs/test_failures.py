"""A transient database error is retried after a backoff; any error reads as words, not SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import FrozenClock
from app.db import Record
from app.db.errors import is_transient
from app.jobs import service as jobs
from app.jobs.service import MAX_ATTEMPTS, run_one_chunk
from tests.jobs.conftest import default_workspace, job_row, queue

FAILURES_LEFT: dict[str, int] = {}
DEADLOCK = "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"


@jobs.handler("test_deadlocks")
async def deadlocks(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    """Writes, then deadlocks while ``FAILURES_LEFT`` says so."""
    await conn.execute(
        text("UPDATE jobs SET cursor = 'half-done' WHERE workspace_id = :ws AND id = :id"),
        {"ws": job.workspace_id, "id": job.id},
    )
    if FAILURES_LEFT[job.params["name"]] > 0:
        FAILURES_LEFT[job.params["name"]] -= 1
        await conn.execute(text(DEADLOCK))
    return jobs.Progress(cursor=job.cursor, done=1, total=1, finished=True)


@jobs.handler("test_loses_connection")
async def loses_connection(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    if FAILURES_LEFT[job.params["name"]] > 0:
        FAILURES_LEFT[job.params["name"]] -= 1
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
    return jobs.Progress(cursor=None, done=1, total=1, finished=True)


@jobs.handler("test_bad_sql")
async def bad_sql(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    await conn.execute(text("SELECT CAST(:secret AS integer)"), {"secret": "card-4242"})
    raise AssertionError("unreachable")


async def test_a_deadlock_is_retried_after_a_backoff_and_the_job_then_succeeds(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    FAILURES_LEFT["flaky"] = 2
    workspace_id = await default_workspace(app)
    job_id = await queue(app, clock, workspace_id, "test_deadlocks", name="flaky")

    for attempt, wait in ((1, 1), (2, 2)):
        assert await run_one_chunk(app.state.engine, clock)
        job = await job_row(app, workspace_id, job_id)
        assert (job.status, job.attempts, job.cursor) == ("queued", attempt, None)  # undone
        assert timedelta(seconds=wait) <= job.not_before - clock.now()
        assert job.not_before - clock.now() <= timedelta(seconds=wait * 1.25)
        assert not await run_one_chunk(app.state.engine, clock)  # not before the backoff
        clock.advance(timedelta(seconds=wait * 1.25))

    assert await run_one_chunk(app.state.engine, clock)
    job = await job_row(app, workspace_id, job_id)
    assert (job.status, job.attempts, job.not_before, job.error) == ("succeeded", 0, None, None)


async def test_a_lost_connection_is_retried(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    FAILURES_LEFT["lost"] = 1
    workspace_id = await default_workspace(app)
    job_id = await queue(app, clock, workspace_id, "test_loses_connection", name="lost")
    assert await run_one_chunk(app.state.engine, clock)
    assert (await job_row(app, workspace_id, job_id)).status == "queued"
    clock.advance(timedelta(seconds=2))
    assert await jobs.run_until_idle(app.state.engine, clock) == 1
    assert (await job_row(app, workspace_id, job_id)).status == "succeeded"


async def test_a_job_that_keeps_deadlocking_fails_after_the_last_attempt_in_words(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    FAILURES_LEFT["stuck"] = MAX_ATTEMPTS + 5
    workspace_id = await default_workspace(app)
    job_id = await queue(app, clock, workspace_id, "test_deadlocks", name="stuck")
    for _ in range(MAX_ATTEMPTS):
        assert await run_one_chunk(app.state.engine, clock)
        clock.advance(timedelta(minutes=10))
    assert not await run_one_chunk(app.state.engine, clock)
    job = await job_row(app, workspace_id, job_id)
    assert job.status == "failed"
    assert job.error == f"The database was unavailable or busy; retried {MAX_ATTEMPTS} times."


async def test_an_unexpected_error_shows_an_error_id_and_neither_sql_nor_parameters(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    workspace_id = await default_workspace(app)
    job_id = await queue(app, clock, workspace_id, "test_bad_sql")
    assert await jobs.run_until_idle(app.state.engine, clock) == 1
    response = await client.get(
        f"/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {admin_key}"}
    )
    job = response.json()
    assert job["status"] == "failed"
    assert job["error"].startswith("The job failed unexpectedly (error id ")
    for leaked in ("SELECT", "card-4242", "integer", "DataError"):
        assert leaked not in job["error"]
    error_id = job["error"].split("error id ")[1].split(")")[0]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and str(job_id) in logged[0].getMessage() and logged[0].exc_info


def test_transient_errors_are_the_retryable_sqlstates_and_lost_connections() -> None:
    def wrapped(orig: BaseException, invalidated: bool = False) -> DBAPIError:
        return DBAPIError("SELECT 1", {}, orig, connection_invalidated=invalidated)

    assert is_transient(wrapped(asyncpg.DeadlockDetectedError("deadlock")))
    assert is_transient(wrapped(asyncpg.SerializationError("could not serialize")))
    assert is_transient(wrapped(asyncpg.LockNotAvailableError("lock timeout")))
    assert is_transient(wrapped(Exception("gone"), invalidated=True))
    assert is_transient(ConnectionResetError())
    assert not is_transient(wrapped(asyncpg.UniqueViolationError("duplicate")))
    assert not is_transient(ValueError("bad"))
