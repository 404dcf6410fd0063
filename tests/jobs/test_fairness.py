"""One workspace cannot starve another: workers take the workspaces with due jobs in turn."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import FrozenClock
from app.db import Record
from app.jobs import service as jobs
from app.jobs.service import Rotation, run_one_chunk
from tests.jobs.conftest import default_workspace, new_workspace, queue

RAN: list[str] = []


@jobs.handler("test_note")
async def note(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    RAN.append(job.params["name"])
    return jobs.Progress(cursor=None, done=1, total=1, finished=True)


async def test_another_workspace_job_runs_next_while_one_workspace_has_eight_queued(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    RAN.clear()
    busy = await default_workspace(app)
    quiet, _ = await new_workspace(client, admin_key, "quiet")
    for n in range(8):
        await queue(app, clock, busy, "test_note", name=f"busy-{n}")
    rotation = Rotation()
    assert await run_one_chunk(app.state.engine, clock, rotation)
    assert await run_one_chunk(app.state.engine, clock, rotation)

    await queue(app, clock, quiet, "test_note", name="quiet")
    assert await run_one_chunk(app.state.engine, clock, rotation)
    assert RAN[-1] == "quiet"  # before the six the busy workspace still has queued

    while await run_one_chunk(app.state.engine, clock, rotation):
        pass
    assert [f"busy-{n}" for n in range(2)] + ["quiet"] + [f"busy-{n}" for n in range(2, 8)] == RAN


async def test_workspaces_with_queued_jobs_take_turns(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    RAN.clear()
    first = await default_workspace(app)
    second, _ = await new_workspace(client, admin_key, "second")
    for n in range(3):
        await queue(app, clock, first, "test_note", name=f"first-{n}")
    for n in range(3):
        await queue(app, clock, second, "test_note", name=f"second-{n}")
    assert await jobs.run_until_idle(app.state.engine, clock) == 6
    workspaces = [name.split("-")[0] for name in RAN]
    assert all(a != b for a, b in itertools.pairwise(workspaces)), RAN
    # Within a workspace, first come first served.
    assert [n for n in RAN if n.startswith("first")] == [f"first-{n}" for n in range(3)]
