"""Fairness between workspaces: one workspace's backlog to a receiver that never answers
holds at most its bound of a worker's places, and another workspace's webhook goes out at
once, on a real PostgreSQL and real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.webhooks.worker import DeliveryWorker
from tests.conftest import bearer
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.test_delivery import add_endpoint, delivery, enqueue, fetch_one

BACKLOG = 10_000
STALLED_ENDPOINTS = 64
NEVER = Reply(delay=3600.0)
"""Accepts the connection and the request, and never answers."""


async def queue_backlog(
    app: Any, workspace_id: UUID, endpoints: list[UUID], clock: FrozenClock
) -> None:
    """``BACKLOG`` messages, due now, spread over ``endpoints``: written with SQL, as
    ``outbox.enqueue`` one by one would take most of the test's time."""
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                """
                WITH messages AS (
                    INSERT INTO webhook_messages
                        (workspace_id, id, type, customer_id, data, created_at)
                    SELECT :ws, gen_random_uuid(), 'customer.tier_changed', 'c' || n,
                           jsonb_build_object('customer_id', 'c' || n, 'to_tier', 'gold'), :now
                    FROM generate_series(1, :count) AS n
                    RETURNING workspace_id, id, customer_id
                )
                INSERT INTO webhook_deliveries
                    (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
                SELECT workspace_id, id,
                       (CAST(:endpoints AS uuid[]))[
                           1 + CAST(substr(customer_id, 2) AS int) % cardinality(:endpoints)
                       ],
                       'pending', :now, :now
                FROM messages
                """
            ),
            {"ws": workspace_id, "now": clock.now(), "count": BACKLOG, "endpoints": endpoints},
        )


async def another_workspace(client: httpx.AsyncClient, admin_key: str) -> UUID:
    created = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    return UUID(created.json()["workspace"]["id"])


async def test_another_workspaces_ping_arrives_within_a_second_behind_a_stalled_backlog(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    workspace_id: UUID,
    clock: FrozenClock,
    make_worker: WorkerFactory,
) -> None:
    worker = make_worker()
    bound = worker.settings.webhook_workspace_concurrency
    assert bound < worker.settings.webhook_worker_concurrency
    acme = await another_workspace(client, admin_key)
    stop = asyncio.Event()
    async with Receiver() as answering:
        async with Receiver(NEVER) as silent:
            stalled = [
                await add_endpoint(app, workspace_id, silent.url(f"/{n}"))
                for n in range(STALLED_ENDPOINTS)
            ]
            await queue_backlog(app, workspace_id, stalled, clock)
            ping_endpoint = await add_endpoint(app, acme, answering.url())
            running = asyncio.create_task(worker.run(stop))
            try:
                # The backlog has taken all the places its workspace may hold.
                await silent.wait_for(bound)
                enqueued = time.monotonic()
                ping = await enqueue(app, acme, clock, ping_endpoint)
                await answering.wait_for(1, at_most=10.0)
                waited = time.monotonic() - enqueued
                in_flight = sum(silent.in_flight.values())
                sent_to_silent = len(silent.requests)
            finally:
                stop.set()
        # The silent receiver is gone: the stalled attempts end, as failures.
        await asyncio.wait_for(running, timeout=30)

    assert waited < 1.0
    assert in_flight == sent_to_silent == bound
    assert (await delivery(app, ping, ping_endpoint))["status"] == "delivered"


async def test_deliveries_in_flight_for_one_workspace_never_exceed_its_bound_across_workers(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    receiver.default = Reply(delay=0.2)
    endpoints = [await add_endpoint(app, workspace_id, receiver.url(f"/{n}")) for n in range(3)]
    sent = [await enqueue(app, workspace_id, clock, e) for e in endpoints for _ in range(4)]
    workers = [
        make_worker(webhook_workspace_concurrency=3, webhook_endpoint_concurrency=2)
        for _ in range(2)
    ]

    async def drain(worker: DeliveryWorker) -> None:
        undelivered = "SELECT count(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'"
        while (await fetch_one(app, undelivered))["n"]:
            if not await worker.deliver_due():
                await asyncio.sleep(0.05)  # the other worker has them in flight

    await asyncio.gather(*(drain(worker) for worker in workers))

    assert receiver.peak_total == 3
    assert max(receiver.peak_in_flight.values()) <= 2
    assert sorted(r.headers["webhook-id"] for r in receiver.requests) == sorted(map(str, sent))
