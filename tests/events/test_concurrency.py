"""Exactly-once under concurrent replays, and no lost update under concurrent events, from
several connection pools (as several server processes would be) and from real server processes."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.conftest import bearer
from tests.events.test_ingest import count_rows, event
from tests.worker_processes import server_processes


@pytest.fixture
async def second_client(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance with its own connection pool, on the same database."""
    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield http


async def test_concurrent_replays_store_the_event_exactly_once(
    app: Any, client: httpx.AsyncClient, second_client: httpx.AsyncClient, admin_key: str
) -> None:
    clients = [client, second_client] * 10
    responses = await asyncio.gather(
        *(c.post("/v1/events", json=event(), headers=bearer(admin_key)) for c in clients)
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 19}, statuses
    assert {r.json()["status"] for r in responses if r.status_code == 200} == {"duplicate"}
    assert await count_rows(app, "events") == 1
    customer = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert customer["metrics"]["order_count"] == 1
    assert customer["metrics"]["lifetime_spend"] == "129.90"


async def test_concurrent_different_bodies_for_one_id_store_one_and_refuse_the_rest(
    app: Any, client: httpx.AsyncClient, second_client: httpx.AsyncClient, admin_key: str
) -> None:
    bodies = [event(amount=f"{10 + i}.00") for i in range(10)]
    clients = [client, second_client] * 5
    responses = await asyncio.gather(
        *(
            c.post("/v1/events", json=b, headers=bearer(admin_key))
            for c, b in zip(clients, bodies, strict=True)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    winner = next(b for b, r in zip(bodies, responses, strict=True) if r.status_code == 201)
    customer = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert Decimal(customer["metrics"]["lifetime_spend"]) == Decimal(winner["amount"])
    assert await count_rows(app, "events") == 1


async def test_concurrent_events_for_one_customer_lose_no_update(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, admin_key: str
) -> None:
    bodies = [
        event(
            event_id=f"o{i}",
            amount=f"{i}.25",
            occurred_at=f"2026-11-{1 + i % 3:02d}T{i % 24:02d}:00:00Z",
            traits={f"t{i}": i},
        )
        for i in range(40)
    ]
    bodies += [event(event_id=f"r{i}", type="refund", amount="1.00") for i in range(10)]
    clients = [client, second_client] * 25
    responses = await asyncio.gather(
        *(
            c.post("/v1/events", json=b, headers=bearer(admin_key))
            for c, b in zip(clients, bodies, strict=True)
        )
    )
    assert {r.status_code for r in responses} == {201}
    customer = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    metrics = customer["metrics"]
    orders_total = sum(Decimal(f"{i}.25") for i in range(40))
    assert metrics["order_count"] == 40
    assert metrics["refund_count"] == 10
    assert Decimal(metrics["lifetime_spend"]) == orders_total - 10
    assert Decimal(metrics["spend_30d"]) == orders_total - 10
    assert metrics["orders_30d"] == 40
    assert customer["traits"] == {"industry": "machinery"} | {f"t{i}": i for i in range(40)}


async def test_replays_across_two_server_processes_store_the_event_once(
    app: Any, database_url: str
) -> None:
    key = "tl_" + secrets.token_urlsafe(32)
    async with (
        server_processes(database_url, {"TIERLINE_BOOTSTRAP_KEY": key}) as bases,
        httpx.AsyncClient(timeout=30) as http,
    ):
        # Real time: the servers use the system clock, so send an event from the past.
        body = event(occurred_at="2026-01-05T10:00:00Z")
        responses = await asyncio.gather(
            *(
                http.post(f"{bases[i % 2]}/v1/events", json=body, headers=bearer(key))
                for i in range(16)
            )
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 15}
    assert await count_rows(app, "events") == 1
    assert await count_rows(app, "workspaces") == 1
