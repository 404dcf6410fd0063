"""Webhook messages over HTTP: the test ping, listing with filters, deliveries and attempts,
and sending again (recover an endpoint's failures, replay a message), which wakes the workers.

Deliveries are moved by SQL here, as the delivery worker would; nothing is sent anywhere."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.webhooks import CHANNEL, SEGMENT_ENTERED, TIER_CHANGED, outbox
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import iso
from tests.webhooks.test_endpoints import allow_loopback, create_endpoint

MESSAGES = "/v1/webhooks/messages"


async def workspace_id(app: Any) -> UUID:
    async with app.state.engine.connect() as conn:
        result = await conn.execute(text("SELECT id FROM workspaces"))
        found: UUID = result.scalar_one()
        return found


async def enqueue(app: Any, type_: str, customer_id: str, now: Any, endpoints: list[str]) -> str:
    """A message as the write path would queue it."""
    async with app.state.engine.begin() as conn:
        message_id = await outbox.enqueue(
            conn,
            await workspace_id(app),
            type_,
            customer_id,
            {"customer_id": customer_id},
            now,
            [UUID(e) for e in endpoints],
        )
    return str(message_id)


async def set_delivery(app: Any, message_id: str, endpoint_id: str, **values: Any) -> None:
    """Moves a delivery as the worker would (status, attempts, lease...)."""
    columns = ", ".join(f"{name} = :{name}" for name in values)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                f"UPDATE webhook_deliveries SET {columns} "
                "WHERE message_id = :message AND endpoint_id = :endpoint"
            ),
            {**values, "message": UUID(message_id), "endpoint": UUID(endpoint_id)},
        )


async def message(client: httpx.AsyncClient, key: str, message_id: str) -> dict[str, Any]:
    response = await client.get(f"{MESSAGES}/{message_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def listed(client: httpx.AsyncClient, key: str, query: str = "") -> list[str]:
    response = await client.get(f"{MESSAGES}?{query}", headers=bearer(key))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def failed(at: Any) -> dict[str, Any]:
    return {
        "status": "failed",
        "attempts": 8,
        "last_attempt_at": at,
        "last_status_code": 500,
        "last_error": "HTTP 500",
        "leased_until": at + timedelta(minutes=1),
    }


async def test_a_test_ping_is_queued_for_that_endpoint_only(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    endpoint = await create_endpoint(client, admin_key)
    await create_endpoint(client, admin_key, event_types=["ping"])
    sent = await client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=bearer(admin_key)
    )
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["message_id"]

    page = await client.get(MESSAGES, headers=bearer(admin_key))
    assert page.status_code == 200
    (item,) = page.json()["items"]
    assert item == await message(client, admin_key, message_id)
    assert item["id"] == message_id
    assert (item["type"], item["customer_id"], item["created_at"]) == ("ping", None, iso(T0))
    assert item["payload"] == {
        "type": "ping",
        "timestamp": iso(T0),
        "data": {"endpoint_id": endpoint["id"], "message": "Ping from Tierline"},
    }
    assert item["deliveries"] == [
        {
            "endpoint_id": endpoint["id"],
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": iso(T0),
            "last_attempt_at": None,
            "last_status_code": None,
            "last_error": None,
            "delivered_at": None,
        }
    ]


async def test_a_disabled_endpoint_accepts_a_test_ping(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    endpoint = await create_endpoint(client, admin_key, enabled=False)
    sent = await client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=bearer(admin_key)
    )
    assert sent.status_code == 202
    found = await message(client, admin_key, sent.json()["message_id"])
    assert [d["status"] for d in found["deliveries"]] == ["pending"]


async def test_messages_are_listed_newest_first_and_filtered(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    b = (await create_endpoint(client, admin_key))["id"]
    first = await enqueue(app, TIER_CHANGED, "c1", T0, [a, b])
    second = await enqueue(app, SEGMENT_ENTERED, "c2", T0, [a])
    third = await enqueue(app, TIER_CHANGED, "c2", T0, [b])
    await set_delivery(app, first, b, **failed(T0))
    await set_delivery(app, second, a, status="delivered", delivered_at=T0, attempts=1)

    assert await listed(client, admin_key) == [third, second, first]
    assert await listed(client, admin_key, "type=customer.tier_changed") == [third, first]
    assert await listed(client, admin_key, "customer_id=c2") == [third, second]
    assert await listed(client, admin_key, "status=failed") == [first]
    assert await listed(client, admin_key, "status=pending") == [third, first]
    assert await listed(client, admin_key, "status=delivered&customer_id=c1") == []
    assert await listed(client, admin_key, "type=ping") == []

    # A customer's messages carry their sequence, which orders them.
    sequences = [
        (await message(client, admin_key, m))["payload"]["data"]["sequence"]
        for m in (first, second, third)
    ]
    assert sequences == sorted(sequences)
    shown = await message(client, admin_key, first)
    assert shown["sequence"] == sequences[0]
    assert [(d["endpoint_id"], d["status"]) for d in shown["deliveries"]] == sorted(
        [(a, "pending"), (b, "failed")]
    )

    seen: list[str] = []
    cursor = None
    while True:
        page = await client.get(
            f"{MESSAGES}?limit=2" + (f"&cursor={cursor}" if cursor else ""),
            headers=bearer(admin_key),
        )
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [third, second, first]

    for query, field in [("status=lost", "status"), ("type=order", "type")]:
        bad = await client.get(f"{MESSAGES}?{query}", headers=bearer(admin_key))
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == field
    bad_cursor = await client.get(f"{MESSAGES}?cursor=WyJ4Il0", headers=bearer(admin_key))
    assert bad_cursor.status_code == 400


async def test_an_endpoints_messages_are_listed_with_its_delivery_only(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    b = (await create_endpoint(client, admin_key))["id"]
    first = await enqueue(app, TIER_CHANGED, "c1", T0, [a, b])
    second = await enqueue(app, SEGMENT_ENTERED, "c2", T0, [a])
    third = await enqueue(app, TIER_CHANGED, "c2", T0, [b])
    await set_delivery(app, first, b, **failed(T0))

    def of(endpoint: str, query: str = "") -> str:
        return f"/v1/webhooks/endpoints/{endpoint}/messages?{query}"

    page = (await client.get(of(b), headers=bearer(admin_key))).json()
    assert [item["id"] for item in page["items"]] == [third, first]
    assert [[d["endpoint_id"] for d in item["deliveries"]] for item in page["items"]] == [[b], [b]]
    for endpoint, query, expected in [
        (a, "", [second, first]),
        (a, "status=failed", []),  # the failed delivery of `first` is b's, not a's
        (b, "status=failed", [first]),
        (b, "customer_id=c2&type=customer.tier_changed", [third]),
    ]:
        found = await client.get(of(endpoint, query), headers=bearer(admin_key))
        assert [item["id"] for item in found.json()["items"]] == expected, (endpoint, query)

    first_page = (await client.get(of(a, "limit=1"), headers=bearer(admin_key))).json()
    rest = await client.get(
        of(a, f"limit=1&cursor={first_page['next_cursor']}"), headers=bearer(admin_key)
    )
    assert [i["id"] for i in first_page["items"] + rest.json()["items"]] == [second, first]
    unknown = await client.get(
        of("00000000-0000-4000-8000-000000000000"), headers=bearer(admin_key)
    )
    assert unknown.status_code == 404


async def test_attempts_are_listed_oldest_first(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    b = (await create_endpoint(client, admin_key))["id"]
    message_id = await enqueue(app, TIER_CHANGED, "c1", T0, [a, b])
    attempts = [
        (b, T0, None, Decimal("5000.000"), None, "connect timeout"),
        (a, T0, 503, Decimal("12.5"), "busy", None),
        (a, T0 + timedelta(seconds=5), 200, Decimal("8.25"), "ok", None),
    ]
    async with app.state.engine.begin() as conn:
        for endpoint_id, at, code, latency, excerpt, error in attempts:
            await conn.execute(
                text(
                    "INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, "
                    "attempted_at, status_code, latency_ms, response_excerpt, error) "
                    "VALUES (:ws, :m, :e, :at, :code, :latency, :excerpt, :error)"
                ),
                {
                    "ws": await workspace_id(app),
                    "m": UUID(message_id),
                    "e": UUID(endpoint_id),
                    "at": at,
                    "code": code,
                    "latency": latency,
                    "excerpt": excerpt,
                    "error": error,
                },
            )
    response = await client.get(f"{MESSAGES}/{message_id}/attempts", headers=bearer(admin_key))
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    assert response.json()["items"] == [
        {
            "endpoint_id": b,
            "attempted_at": iso(T0),
            "status_code": None,
            "latency_ms": 5000.0,
            "response_excerpt": None,
            "error": "connect timeout",
        },
        {
            "endpoint_id": a,
            "attempted_at": iso(T0),
            "status_code": 503,
            "latency_ms": 12.5,
            "response_excerpt": "busy",
            "error": None,
        },
        {
            "endpoint_id": a,
            "attempted_at": iso(T0 + timedelta(seconds=5)),
            "status_code": 200,
            "latency_ms": 8.25,
            "response_excerpt": "ok",
            "error": None,
        },
    ]
    unknown = await client.get(
        f"{MESSAGES}/00000000-0000-4000-8000-000000000000/attempts", headers=bearer(admin_key)
    )
    assert unknown.status_code == 404


async def test_recover_requeues_an_endpoints_failures_since_a_time(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    b = (await create_endpoint(client, admin_key))["id"]
    old = await enqueue(app, TIER_CHANGED, "c1", T0, [a, b])
    new = await enqueue(app, TIER_CHANGED, "c1", T0 + timedelta(hours=2), [a, b])
    pending = await enqueue(app, TIER_CHANGED, "c2", T0 + timedelta(hours=2), [a])
    for message_id in (old, new):
        for endpoint_id in (a, b):
            await set_delivery(app, message_id, endpoint_id, **failed(T0))
    clock.advance(timedelta(hours=3))

    since = iso(T0 + timedelta(hours=1))
    response = await client.post(
        f"/v1/webhooks/endpoints/{a}/recover", params={"since": since}, headers=bearer(admin_key)
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"requeued": 1}

    requeued = (await message(client, admin_key, new))["deliveries"]
    assert [(d["endpoint_id"], d["status"]) for d in requeued] == sorted(
        [(a, "pending"), (b, "failed")]
    )
    (again,) = [d for d in requeued if d["endpoint_id"] == a]
    assert (again["attempts"], again["next_attempt_at"]) == (0, iso(clock.now()))
    assert again["last_error"] == "HTTP 500"  # the last attempt stays on record
    async with app.state.engine.connect() as conn:
        lease = await conn.execute(
            text(
                "SELECT leased_until FROM webhook_deliveries "
                "WHERE message_id = :m AND endpoint_id = :e"
            ),
            {"m": UUID(new), "e": UUID(a)},
        )
        assert lease.scalar_one() is None
    assert {d["status"] for d in (await message(client, admin_key, old))["deliveries"]} == {
        "failed"
    }
    assert [d["status"] for d in (await message(client, admin_key, pending))["deliveries"]] == [
        "pending"
    ]

    # Everything since the start; what is pending already is left alone.
    everything = await client.post(
        f"/v1/webhooks/endpoints/{a}/recover", params={"since": iso(T0)}, headers=bearer(admin_key)
    )
    assert everything.json() == {"requeued": 1}
    assert await listed(client, admin_key, "status=failed") == [new, old]


async def test_replay_requeues_a_messages_deliveries_whatever_their_status(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    b = (await create_endpoint(client, admin_key))["id"]
    c = (await create_endpoint(client, admin_key))["id"]
    message_id = await enqueue(app, TIER_CHANGED, "c1", T0, [a, b])
    await set_delivery(app, message_id, a, status="delivered", attempts=1, delivered_at=T0)
    await set_delivery(app, message_id, b, **failed(T0))
    clock.advance(timedelta(minutes=10))
    path = f"{MESSAGES}/{message_id}/replay"

    one = await client.post(path, params={"endpoint_id": a}, headers=bearer(admin_key))
    assert one.status_code == 202, one.text
    assert one.json() == {"requeued": 1}
    statuses = {
        d["endpoint_id"]: (d["status"], d["attempts"], d["next_attempt_at"], d["delivered_at"])
        for d in (await message(client, admin_key, message_id))["deliveries"]
    }
    assert statuses == {a: ("pending", 0, iso(clock.now()), None), b: ("failed", 8, iso(T0), None)}

    everyone = await client.post(path, headers=bearer(admin_key))
    assert everyone.json() == {"requeued": 2}
    assert await listed(client, admin_key, "status=failed") == []

    not_sent_there = await client.post(path, params={"endpoint_id": c}, headers=bearer(admin_key))
    assert not_sent_there.status_code == 404
    assert c in not_sent_there.json()["detail"]
    unknown = await client.post(
        f"{MESSAGES}/00000000-0000-4000-8000-000000000000/replay", headers=bearer(admin_key)
    )
    assert unknown.status_code == 404
    malformed = await client.post(path, params={"endpoint_id": "nope"}, headers=bearer(admin_key))
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "endpoint_id"


async def test_sending_again_wakes_the_delivery_workers_after_commit(
    app: Any, client: httpx.AsyncClient, admin_key: str, database_url: str
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    message_id = await enqueue(app, TIER_CHANGED, "c1", T0, [a])
    await set_delivery(app, message_id, a, **failed(T0))
    woken: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql", 1))
    try:
        await listener.add_listener(CHANNEL, lambda *args: woken.put_nowait(args[3]))
        recovered = await client.post(
            f"/v1/webhooks/endpoints/{a}/recover",
            params={"since": iso(T0)},
            headers=bearer(admin_key),
        )
        assert recovered.json() == {"requeued": 1}
        assert await asyncio.wait_for(woken.get(), 5) == str(await workspace_id(app))
        replayed = await client.post(f"{MESSAGES}/{message_id}/replay", headers=bearer(admin_key))
        assert replayed.json() == {"requeued": 1}
        assert await asyncio.wait_for(woken.get(), 5) == str(await workspace_id(app))
        # Enabling an endpoint again: the deliveries that waited for it are due at once.
        path = f"/v1/webhooks/endpoints/{a}"
        await client.patch(path, json={"enabled": False}, headers=bearer(admin_key))
        await client.patch(path, json={"enabled": True}, headers=bearer(admin_key))
        assert await asyncio.wait_for(woken.get(), 5) == str(await workspace_id(app))
        assert woken.empty()  # disabling woke nobody
    finally:
        await listener.close()


async def test_another_workspace_sees_none_of_the_messages(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    allow_loopback(app)
    a = (await create_endpoint(client, admin_key))["id"]
    message_id = await enqueue(app, TIER_CHANGED, "c1", T0, [a])
    workspace = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    acme = workspace.json()["admin_key"]["key"]
    assert await listed(client, acme) == []
    for method, path in [
        ("GET", f"{MESSAGES}/{message_id}"),
        ("GET", f"{MESSAGES}/{message_id}/attempts"),
        ("POST", f"{MESSAGES}/{message_id}/replay"),
    ]:
        response = await client.request(method, path, headers=bearer(acme))
        assert response.status_code == 404, (method, path, response.text)
    reader = await make_key("customers:read")
    assert (await client.get(MESSAGES, headers=bearer(reader))).status_code == 403
