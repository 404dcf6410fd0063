"""The OpenAPI document's ``webhooks`` section describes every body Tierline sends: real
messages of every type, built through the outbox by ordinary requests, validate against
their payload models (which forbid fields they do not list), and so do the examples."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from app.webhooks import EVENT_TYPES, messages
from app.webhooks.payloads import PAYLOADS
from tests.conftest import bearer
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme
from tests.webhooks.test_endpoints import allow_loopback


def test_every_message_type_has_a_payload_model_whose_example_validates() -> None:
    assert set(PAYLOADS) == set(EVENT_TYPES)
    for type_, model in PAYLOADS.items():
        [example] = model.model_json_schema()["examples"]
        assert example["type"] == type_
        model.model_validate(example)


def test_the_document_has_a_webhook_per_message_type() -> None:
    document = create_app(Settings(database_url="postgresql://unused/unused")).openapi()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    for type_, operations in document["webhooks"].items():
        schema = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{PAYLOADS[type_].__name__}"}


async def test_real_messages_of_every_type_match_their_payload_models(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    endpoint = await client.post(
        "/v1/webhooks/endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=bearer(admin_key)
    )
    assert endpoint.status_code == 201, endpoint.text
    await put_scheme(client, admin_key, VALUE)
    await put_segment(client, admin_key, BIG_SPENDERS)
    await order(client, admin_key, "o1", "9000.00", clock.now(), customer_id="crm-1")
    await order(client, admin_key, "o2", "10.00", clock.now(), customer_id="crm-2")
    refund = {
        "event_id": "r1",
        "customer_id": "crm-1",
        "type": "refund",
        "occurred_at": clock.now().isoformat(),
        "amount": "8000.00",
    }
    refunded = await client.post("/v1/events", json=refund, headers=bearer(admin_key))
    assert refunded.status_code == 201, refunded.text
    ping = await client.post(
        f"/v1/webhooks/endpoints/{endpoint.json()['id']}/test", headers=bearer(admin_key)
    )
    assert ping.status_code in (200, 202), ping.text
    erased = await client.delete("/v1/customers/crm-2", headers=bearer(admin_key))
    assert erased.status_code == 200, erased.text

    async with app.state.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT type, customer_id, data, seq, created_at FROM webhook_messages")
            )
        ).all()
    assert {row.type for row in rows} == set(EVENT_TYPES)
    for row in rows:
        # The body exactly as the sender signs and posts it.
        body = messages.payload(
            row.type, row.created_at, row.data, row.seq, customer=row.customer_id is not None
        )
        PAYLOADS[row.type].model_validate(json.loads(messages.encode(body)))
