"""One workspace's excess never touches another's requests (issue 22): requests in flight and
connections held are counted per workspace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest

from app.api.limits import MAIN_POOL
from app.auth import service as auth_service
from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.conftest import bearer

WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Tenants:
    app: Any
    http: httpx.AsyncClient
    key_a: str
    key_b: str
    workspace_a: UUID


@pytest.fixture
async def limited(settings: Settings, clock: FrozenClock) -> AsyncIterator[Tenants]:
    """An app whose workspaces may each hold 2 main-pool connections and have 3 requests in
    flight, with workspace A's admin key and workspace B's, each with a customer."""
    small = settings.model_copy(
        update={
            "workspace_max_requests": 3,
            "workspace_max_connections": 2,
            "workspace_wait_seconds": WAIT_SECONDS,
        }
    )
    application = create_app(small, clock=clock)
    async with application.router.lifespan_context(application):
        async with application.state.engine.begin() as conn:
            key_a = await auth_service.bootstrap(conn, clock.now(), None)
        assert key_a is not None
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            created = await http.post(
                "/v1/workspaces", json={"slug": "b", "name": "B"}, headers=bearer(key_a)
            )
            key_b: str = created.json()["admin_key"]["key"]
            for key in (key_a, key_b):
                put = await http.put("/v1/customers/c1", json={"traits": {}}, headers=bearer(key))
                assert put.status_code in (200, 201), put.text
            workspace_a = (await http.get("/v1/workspace", headers=bearer(key_a))).json()["id"]
            yield Tenants(application, http, key_a, key_b, UUID(workspace_a))


async def _hold_connections(stack: AsyncExitStack, app: Any, workspace_id: UUID) -> None:
    """Takes all of the workspace's turns at the main pool, each with its connection."""
    limits = app.state.limits
    for _ in range(limits.per_workspace(MAIN_POOL)):
        await stack.enter_async_context(limits.connection(MAIN_POOL, workspace_id))
        await stack.enter_async_context(app.state.engine.connect())


async def _timed(http: httpx.AsyncClient, path: str, key: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await http.get(path, headers=bearer(key))
    return response, time.perf_counter() - started


async def test_a_workspace_holding_its_connections_leaves_another_served(limited: Tenants) -> None:
    http, key_a, key_b = limited.http, limited.key_a, limited.key_b
    async with AsyncExitStack() as stack:
        await _hold_connections(stack, limited.app, limited.workspace_a)
        (busy, waited), (served, took) = await asyncio.gather(
            _timed(http, "/v1/customers/c1", key_a), _timed(http, "/v1/customers/c1", key_b)
        )
    assert served.status_code == 200, served.text
    assert took < WAIT_SECONDS / 2
    assert busy.status_code == 503
    assert busy.json()["type"] == "urn:tierline:problem:workspace-busy"
    assert busy.headers["retry-after"] == "1"
    assert waited >= WAIT_SECONDS
    # Once the turns are free, A is served again.
    assert (await http.get("/v1/customers/c1", headers=bearer(key_a))).status_code == 200


async def test_a_workspace_over_its_requests_in_flight_is_refused_at_once(limited: Tenants) -> None:
    http, key_a, key_b = limited.http, limited.key_a, limited.key_b
    async with AsyncExitStack() as stack:
        await _hold_connections(stack, limited.app, limited.workspace_a)
        # Three of A's requests in flight, waiting for a turn at the pool.
        waiting = [
            asyncio.create_task(http.get("/v1/customers/c1", headers=bearer(key_a)))
            for _ in range(3)
        ]
        await asyncio.sleep(0.2)
        refused, _ = await _timed(http, "/v1/customers/c1", key_a)
        other, _ = await _timed(http, "/v1/customers/c1", key_b)
    # The held turns are given back: the waiting requests go on.
    assert [r.status_code for r in await asyncio.gather(*waiting)] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["type"] == "urn:tierline:problem:too-many-requests"
    assert refused.headers["retry-after"] == "1"
    assert other.status_code == 200
    metrics = (await http.get("/metrics")).text
    assert 'tierline_workspace_refusals_total{reason="requests"} 1.0' in metrics
