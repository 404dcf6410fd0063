"""Helpers of the job tests: jobs of test-only kinds, queued in a workspace of their own."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.db import Record
from app.jobs import service as jobs
from tests.conftest import bearer


async def new_workspace(client: httpx.AsyncClient, admin_key: str, slug: str) -> tuple[UUID, str]:
    """A workspace and its admin key."""
    created = await client.post(
        "/v1/workspaces", json={"slug": slug, "name": slug}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return UUID(body["workspace"]["id"]), body["admin_key"]["key"]


async def default_workspace(app: Any) -> UUID:
    async with app.state.engine.connect() as conn:
        found: UUID = (
            await conn.execute(text("SELECT id FROM workspaces WHERE slug = 'default'"))
        ).scalar_one()
    return found


async def queue(app: Any, clock: FrozenClock, workspace_id: UUID, kind: str, **params: Any) -> UUID:
    async with app.state.engine.begin() as conn:
        return await jobs.create(conn, workspace_id, kind, params, clock.now())


async def job_row(app: Any, workspace_id: UUID, job_id: UUID) -> Record:
    async with app.state.engine.connect() as conn:
        return await jobs.get(conn, workspace_id, job_id)
