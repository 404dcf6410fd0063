"""A normal batch runs in waves of one transaction, and a server drains its queued events on
shutdown: each as if the events had been sent one at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.classification.test_triggers import rules
from tests.conftest import bearer
from tests.events.test_ingest import count_rows, event

AMOUNTS = ("120.00", "260.00", "400.00", "15.00")
"""A customer's orders: a first purchase (silver), then up to gold (500 in all) and on."""


def history(prefix: str) -> list[dict[str, Any]]:
    """Three customers' orders, interleaved as a CRM would send them, with one refund, a
    trait change and a trait removed among them."""
    items = []
    for n, amount in enumerate(AMOUNTS):
        for customer in ("ann", "bob", "cy"):
            body = event(
                event_id=f"{prefix}-{customer}-{n}",
                customer_id=f"{prefix}-{customer}",
                amount=amount,
                occurred_at=f"2026-11-1{n}T10:00:00Z",
                traits={"industry": "machinery" if n < 2 else None, "n": n},
            )
            if customer == "bob" and n == 3:
                body["type"] = "refund"
            items.append(body)
    return items


async def stored(app: Any, prefix: str) -> dict[str, Any]:
    """What each of the prefix's customers became, with the prefix taken out of the ids."""
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.customer_id, c.traits, c.order_count, c.order_total, c.refund_total,"
                " (SELECT array_agg(ARRAY[scheme_key, from_tier, to_tier, reason] ORDER BY seq)"
                "  FROM tier_history h WHERE h.workspace_id = c.workspace_id"
                "  AND h.customer_id = c.customer_id) AS moves,"
                " (SELECT array_agg(ARRAY[segment_key, change] ORDER BY seq)"
                "  FROM segment_history h WHERE h.workspace_id = c.workspace_id"
                "  AND h.customer_id = c.customer_id) AS segments,"
                " (SELECT array_agg(type ORDER BY seq) FROM webhook_messages m"
                "  WHERE m.workspace_id = c.workspace_id AND m.customer_id = c.customer_id)"
                " AS messages"
                " FROM customers c WHERE c.customer_id LIKE :prefix"
            ),
            {"prefix": f"{prefix}-%"},
        )
        return {row.customer_id.removeprefix(prefix): row._asdict() | {"customer_id": None}
                for row in rows}  # fmt: skip


async def test_a_batch_answers_and_stores_as_its_events_sent_one_at_a_time(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await rules(app, client, admin_key, clock)
    singles = []
    for body in history("one"):
        response = await client.post("/v1/events", json=body, headers=bearer(admin_key))
        assert response.status_code == 201, response.text
        singles.append(response.json())

    items = history("many")
    # Sent twice in one batch: the second is a replay; under another body, a conflict.
    items += [items[0], {**items[1], "amount": "1.00"}]
    response = await client.post(
        "/v1/events/batch", json={"events": items}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]

    assert [r["status"] for r in results] == ["created"] * len(singles) + [
        "duplicate",
        "rejected",
    ]
    assert results[-1]["problem"]["status"] == 409
    assert [r["tier_changes"] for r in results[: len(singles)]] == [
        s["tier_changes"] for s in singles
    ]
    assert any(s["tier_changes"] for s in singles[3:])  # the later orders moved tiers
    assert await stored(app, "many") == await stored(app, "one")


async def test_shutdown_answers_every_queued_event_after_committing_it(
    settings: Settings, clock: FrozenClock, admin_key: str
) -> None:
    settings = settings.model_copy(update={"event_flush_max": 4, "event_flush_wait_ms": 50})
    app = create_app(settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        async with app.router.lifespan_context(app):
            batcher = app.state.batcher
            submitted = 0
            all_submitted = asyncio.Event()
            submit = batcher.submit

            async def counted(*args: Any) -> Any:
                nonlocal submitted
                submitted += 1
                if submitted == 20:
                    all_submitted.set()
                return await submit(*args)

            batcher.submit = counted
            sent = [
                asyncio.create_task(
                    http.post(
                        "/v1/events",
                        json=event(event_id=f"late-{n}", customer_id=f"late-{n % 5}"),
                        headers=bearer(admin_key),
                    )
                )
                for n in range(20)
            ]
            await all_submitted.wait()
            # Events still queued when the server stops: the lifespan's end flushes them.
            assert any(lane.queue for lane in batcher._lanes.values())
        responses = await asyncio.gather(*sent)
    assert [r.status_code for r in responses] == [201] * 20
    async with app.router.lifespan_context(app):
        assert await count_rows(app, "events") == 20
        async with app.state.engine.connect() as conn:
            counts = (await conn.execute(text("SELECT order_count FROM customers"))).scalars()
            assert sorted(counts) == [4] * 5
