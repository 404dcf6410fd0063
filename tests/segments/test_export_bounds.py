"""Exports are bounded: a client that stops reading is cut off, and stalled exports of one
workspace never hold a connection another workspace's requests need (issue 22)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass
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


@dataclass
class StalledExport:
    """``POST /v1/customers/export`` from a client that reads one chunk and then nothing
    more, while keeping its connection open."""

    call: Awaitable[None]
    status: int | None = None
    chunks: int = 0
    problem: dict[str, Any] | None = None


def stalled_export(app: Any, key: str, streaming: list[StalledExport]) -> StalledExport:
    """The export; while it streams it is in ``streaming``."""
    scope, body = json_post_scope("/v1/customers/export", {"format": "ndjson"}, key)
    sent_body = False
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await never.wait()  # the client never hangs up
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            export.status = message["status"]
            if export.status == 200:
                streaming.append(export)
        elif export.status != 200:
            export.problem = json.loads(message["body"])
        elif message.get("body"):
            export.chunks += 1
            if export.chunks > 1:
                try:
                    await never.wait()  # the socket's buffers are full: the write never ends
                finally:
                    streaming.remove(export)

    export = StalledExport(app(scope, receive, send))
    return export


async def test_ten_stalled_exports_leave_another_workspace_answering_and_are_cut_off(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await seed_customers(app, 1, 2_000)  # four chunks: each export stalls on its second
    created = await client.post(
        "/v1/workspaces", json={"slug": "other", "name": "Other"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    other_key = created.json()["admin_key"]["key"]
    stored = await client.put(
        "/v1/customers/o-1", json={"traits": {"tier": "x"}}, headers=bearer(other_key)
    )
    assert stored.status_code in (200, 201), stored.text

    streaming: list[StalledExport] = []
    most_at_once = 0
    exports = [stalled_export(app, admin_key, streaming) for _ in range(10)]
    tasks = [asyncio.ensure_future(export.call) for export in exports]
    await asyncio.sleep(0.3)  # the first exports have started and stalled

    started = time.monotonic()
    answered = await client.get("/v1/customers/o-1", headers=bearer(other_key))
    assert answered.status_code == 200, answered.text
    assert time.monotonic() - started < 1.0
    other_export = await client.post(
        "/v1/customers/export", json={"format": "ndjson"}, headers=bearer(other_key)
    )
    assert other_export.status_code == 200
    assert [json.loads(line)["customer_id"] for line in other_export.text.splitlines()] == ["o-1"]

    while not all(task.done() for task in tasks):
        most_at_once = max(most_at_once, len(streaming))
        await asyncio.wait(tasks, timeout=0.05)
    await asyncio.gather(*tasks)
    # A workspace streams at most half the export pool at once; the exports that found no
    # turn within the wait were refused, and every stalled one was cut off after its first
    # chunk, without the rest of the customers, a stall timeout in.
    assert most_at_once == 2
    cut_off = [export for export in exports if export.status == 200]
    refused = [export for export in exports if export.status == 503]
    assert len(cut_off) >= 2 and len(cut_off) + len(refused) == 10
    assert all(export.chunks == 2 for export in cut_off)
    assert all(
        export.problem and export.problem["type"].endswith(":workspace-busy") for export in refused
    )
    assert app.state.export_engine.pool.checkedout() == 0
    assert app.state.engine.pool.checkedout() == 0
