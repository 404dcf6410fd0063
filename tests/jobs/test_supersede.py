"""A newer job for the same target supersedes the unfinished one, and says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.clv import FIT_JOB
from app.jobs import repository
from app.jobs.service import run_one_chunk, run_until_idle
from app.reclassification import jobs as reclassification_jobs
from tests.conftest import T0, bearer
from tests.jobs.conftest import default_workspace, queue
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme, scheme


async def get_job(client: httpx.AsyncClient, key: str, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/jobs/{job_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_segment_saved_again_supersedes_the_queued_job_of_its_last_version(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    first = await put_segment(client, admin_key, BIG_SPENDERS)
    other = await put_segment(client, admin_key, BIG_SPENDERS, segment="other")
    second = await put_segment(client, admin_key, {**BIG_SPENDERS, "name": "Big ones"})

    old = await get_job(client, admin_key, first["job_id"])
    assert (old["status"], old["superseded_by"]) == ("superseded", second["job_id"])
    assert old["finished_at"] is not None
    assert (await get_job(client, admin_key, other["job_id"]))["status"] == "queued"
    await run_until_idle(app.state.engine, clock)
    for saved in (other, second):
        job = await get_job(client, admin_key, saved["job_id"])
        assert (job["status"], job["superseded_by"]) == ("succeeded", None)


async def test_a_scheme_version_supersedes_a_job_of_the_last_version_midway(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reclassification_jobs, "CHUNK", 1)
    for n in range(3):
        await order(client, admin_key, f"o{n}", "100.00", T0, customer_id=f"c{n}")
    first = await put_scheme(client, admin_key, VALUE)
    assert await run_one_chunk(app.state.engine, clock)
    assert (await get_job(client, admin_key, first["job_id"]))["status"] == "running"

    second = await put_scheme(client, admin_key, scheme(name="Value, again"))
    old = await get_job(client, admin_key, first["job_id"])
    assert (old["status"], old["superseded_by"]) == ("superseded", second["job_id"])
    await run_until_idle(app.state.engine, clock)
    assert (await get_job(client, admin_key, second["job_id"]))["status"] == "succeeded"


async def test_one_clv_fit_of_a_workspace_at_a_time(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    workspace_id = await default_workspace(app)
    running = await queue(app, clock, workspace_id, FIT_JOB, calibration_end=None)
    async with app.state.engine.connect() as worker, worker.begin():
        claimed = await repository.claim(worker, workspace_id, clock.now())
        assert claimed is not None and claimed.id == running  # a fit in progress

        waiting = await queue(app, clock, workspace_id, FIT_JOB, calibration_end=None)
        # The running fit is not superseded, and the new one waits for it.
        assert not await run_one_chunk(app.state.engine, clock)
        newest = await queue(app, clock, workspace_id, FIT_JOB, calibration_end=None)
        replaced = await get_job(client, admin_key, str(waiting))
        assert (replaced["status"], replaced["superseded_by"]) == ("superseded", str(newest))
        assert not await run_one_chunk(app.state.engine, clock)

        await repository.record_progress(
            worker, claimed, cursor=None, done=0, total=0, finished=True, now=clock.now()
        )
    async with app.state.engine.connect() as conn, conn.begin():
        next_fit = await repository.claim(conn, workspace_id, clock.now())
    assert next_fit is not None and next_fit.id == newest
    assert (await get_job(client, admin_key, str(running)))["status"] == "succeeded"
