"""Exports are bounded: a client that stops reading is cut off, and stalled exports of one
workspace never hold a connection another workspace's requests need (issue 22)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.asgi import json_post_scope
from tests.conftest import bearer
from tests.segments.test_export import seed_customers

STALL_S = 1.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        db_pool_size=10,
        db_export_pool_size=4,
        export_stall_timeout=STALL_S,
        background_workers=False,
    )


def stalled_export(app: Any, key: str) -> tuple[Awaitable[None], Callable[[], int]]:
    """``POST /v1/customers/export`` from a client that reads one chunk and then nothing more,
    while keeping its connection open: the app's call, and how many chunks it sent."""
    scope, body = json_post_scope("/v1/customers/export", {"format": "ndjson"}, key)
    sent_body = False
    chunks = 0
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never.wait()  # the client never hangs up
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body" and message.get("body"):
            chunks += 1
            if chunks > 1:
                await never.wait()  # the socket's buffers are full: the write never ends

    return app(scope, receive, send), lambda: chunks


async def test_ten_stalled_exports_leave_another_workspace_answering_and_are_cut_off(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await seed_customers(app, 1, 20_000)
    created = await client.post(
        "/v1/workspaces", json={"slug": "other", "name": "Other"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    other_key = created.json()["admin_key"]["key"]
    stored = await client.put(
        "/v1/customers/o-1", json={"traits": {"tier": "x"}}, headers=bearer(other_key)
    )
    assert stored.status_code in (200, 201), stored.text

    exports = [stalled_export(app, admin_key) for _ in range(10)]
    tasks = [asyncio.ensure_future(call) for call, _ in exports]
    await asyncio.sleep(0.3)  # the first exports have started and stalled

    started = time.monotonic()
    answered = await client.get("/v1/customers/o-1", headers=bearer(other_key))
    assert answered.status_code == 200, answered.text
    assert time.monotonic() - started < 1.0

    # Every stalled export is ended a stall timeout after it stalled (the last ones wait for
    # the export pool first), without the rest of the customers, and gives its connection
    # back.
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10 * STALL_S + 10)
    assert all(chunks() == 2 for _, chunks in exports)
    assert app.state.export_engine.pool.checkedout() == 0
    assert app.state.engine.pool.checkedout() == 0
