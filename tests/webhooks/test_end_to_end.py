"""From an event to a verified webhook: the API, the outbox, the worker and a receiver on
127.0.0.1, as an integrator sees them."""

from __future__ import annotations

import json
from typing import Any

import httpx
from standardwebhooks import Webhook

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import T0, bearer
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_endpoints import allow_loopback


async def test_a_tier_change_reaches_each_subscriber_once_signed_and_ordered(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    make_worker: WorkerFactory,
) -> None:
    allow_loopback(app)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    async with Receiver() as first, Receiver() as second:
        secrets = {}
        for receiver in (first, second):
            created = await client.post(
                "/v1/webhooks/endpoints",
                json={"url": receiver.url(), "event_types": ["customer.tier_changed"]},
                headers=bearer(admin_key),
            )
            assert created.status_code == 201, created.text
            secrets[receiver] = created.json()["secret"]

        await order(client, admin_key, "o1", "100.00", T0)  # none -> regular
        await order(client, admin_key, "o2", "6000.00", T0)  # regular -> vip
        await order(client, admin_key, "o3", "10.00", T0)  # no change, no message
        worker = make_worker()
        while await worker.deliver_due():
            pass

        bodies = {}
        for receiver in (first, second):
            assert len(receiver.requests) == 2
            for request in receiver.requests:
                # Verified as a receiver would, with the secret shown at creation.
                Webhook(secrets[receiver]).verify(request.body, request.headers)
            bodies[receiver] = {
                r.headers["webhook-id"]: json.loads(r.body) for r in receiver.requests
            }
    assert bodies[first] == bodies[second]  # one message, one id, for every endpoint
    received = sorted(bodies[first].values(), key=lambda body: body["data"]["sequence"])
    assert [(b["type"], b["data"]["from_tier"], b["data"]["to_tier"]) for b in received] == [
        ("customer.tier_changed", None, "regular"),
        ("customer.tier_changed", "regular", "vip"),
    ]
    assert received[1]["timestamp"] == "2026-11-20T12:00:00Z"
    assert received[1]["data"]["metrics"] == {"order_count": 2, "spend_365d": "6100.00"}

    listed = await client.get(
        "/v1/webhooks/messages", params={"status": "delivered"}, headers=bearer(admin_key)
    )
    items = listed.json()["items"]
    assert sorted(item["id"] for item in items) == sorted(bodies[first])
    assert all(len(item["deliveries"]) == 2 for item in items)
