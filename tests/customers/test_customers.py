"""Customer profiles: traits, reading back, event listing, erasure."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.jobs.service import run_until_idle
from app.pagination import encode_cursor
from tests.conftest import KeyFactory, bearer
from tests.events.test_ingest import event


async def test_put_replaces_and_patch_merges_traits(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    put = await client.put(
        "/v1/customers/crm-7",
        json={"traits": {"industry": "machinery", "size": "large", "tags": ["a"]}},
        headers=bearer(admin_key),
    )
    assert put.status_code == 200
    assert put.json()["metrics"]["order_count"] == 0
    assert put.json()["metrics"]["spend_365d"] == "0.00"
    assert put.json()["next_review_at"] is None

    patched = await client.patch(
        "/v1/customers/crm-7",
        json={"traits": {"size": None, "region": "north", "tags": ["b"]}},
        headers=bearer(admin_key),
    )
    assert patched.json()["traits"] == {"industry": "machinery", "region": "north", "tags": ["b"]}

    replaced = await client.put(
        "/v1/customers/crm-7", json={"traits": {"tier_hint": 1}}, headers=bearer(admin_key)
    )
    assert replaced.json()["traits"] == {"tier_hint": 1}
    read = await client.get("/v1/customers/crm-7", headers=bearer(admin_key))
    assert read.json()["traits"] == {"tier_hint": 1}


async def test_traits_bodies_are_validated(client: httpx.AsyncClient, admin_key: str) -> None:
    for method, body, field in (
        ("PUT", {"traits": "x"}, "traits"),
        ("PATCH", {"traits": ["x"]}, "traits"),
        ("PUT", {}, "traits"),
        ("PUT", {"traits": {"big": "x" * 17_000}}, "traits"),
    ):
        response = await client.request(
            method, "/v1/customers/crm-7", json=body, headers=bearer(admin_key)
        )
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field
    missing = await client.get("/v1/customers/crm-7", headers=bearer(admin_key))
    assert missing.status_code == 404


async def test_unknown_customer_is_404_problem(client: httpx.AsyncClient, admin_key: str) -> None:
    for path in ("/v1/customers/nobody", "/v1/customers/nobody/events"):
        response = await client.get(path, headers=bearer(admin_key))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_another_workspaces_customer_is_404(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post("/v1/events", json=event(), headers=bearer(admin_key))
    other = (
        await client.post(
            "/v1/workspaces", json={"slug": "other", "name": "O"}, headers=bearer(admin_key)
        )
    ).json()["admin_key"]["key"]
    assert (await client.get("/v1/customers/crm-42", headers=bearer(other))).status_code == 404
    erased = await client.delete("/v1/customers/crm-42", headers=bearer(other))
    assert set(erased.json()["erased"].values()) == {0}
    assert (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).status_code == 200


async def test_events_are_listed_newest_first_across_pages(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    days = [5, 1, 9, 3, 7, 3]
    for index, day in enumerate(days):
        await client.post(
            "/v1/events",
            json=event(event_id=f"e{index}", occurred_at=f"2026-11-{day:02d}T10:00:00Z"),
            headers=bearer(admin_key),
        )
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = (
            await client.get(
                "/v1/customers/crm-42/events", params=params, headers=bearer(admin_key)
            )
        ).json()
        seen += [(item["occurred_at"], item["event_id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [event_id for _, event_id in seen] == ["e2", "e4", "e0", "e5", "e3", "e1"]


@pytest.mark.parametrize(
    "key",
    [
        ["2026-11-05T10:00:00+00:00", 10**30],  # a sequence number bigint cannot hold
        ["2026-11-05T10:00:00+00:00", -1],
        ["2026-11-05T10:00:00", 3],  # a time without a zone
        ["not a time", 3],
    ],
)
async def test_an_edited_events_cursor_is_a_400(
    client: httpx.AsyncClient, admin_key: str, key: list[Any]
) -> None:
    await client.post("/v1/events", json=event(event_id="e0"), headers=bearer(admin_key))
    response = await client.get(
        "/v1/customers/crm-42/events",
        params={"cursor": encode_cursor(key)},
        headers=bearer(admin_key),
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"].endswith(":invalid-cursor")


async def test_reading_needs_customers_read_and_writing_customers_write(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    writer = await make_key("customers:write")
    reader = await make_key("customers:read")
    body = {"traits": {"a": 1}}
    assert (
        await client.put("/v1/customers/c", json=body, headers=bearer(reader))
    ).status_code == 403
    assert (
        await client.put("/v1/customers/c", json=body, headers=bearer(writer))
    ).status_code == 200
    assert (await client.get("/v1/customers/c", headers=bearer(writer))).status_code == 403
    assert (await client.get("/v1/customers/c", headers=bearer(reader))).status_code == 200
    assert (await client.delete("/v1/customers/c", headers=bearer(reader))).status_code == 403


async def rows_about(app: Any, customer_id: str) -> dict[str, int]:
    counts = {}
    async with app.state.engine.connect() as conn:
        for table in (
            "customers",
            "events",
            "customer_days",
            "customer_source_days",
            "customer_source_totals",
            "customer_tiers",
            "tier_history",
            "segment_members",
            "segment_history",
        ):
            result = await conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE customer_id = :c"), {"c": customer_id}
            )
            counts[table] = int(result.scalar_one())
    return counts


async def test_erasure_leaves_no_row_behind_and_is_idempotent(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: Any
) -> None:
    await client.put(
        "/v1/metrics/biggest_order",
        json={"event_type": "order", "aggregation": "max"},
        headers=bearer(admin_key),
    )
    await client.put(
        "/v1/schemes/loyalty",
        json={
            "name": "Loyalty",
            "tiers": [
                {
                    "key": "repeat",
                    "name": "Repeat buyer",
                    "condition": {"field": "metrics.order_count", "op": "gte", "value": 2},
                }
            ],
            "default_tier": "new",
        },
        headers=bearer(admin_key),
    )
    await client.put(
        "/v1/segments/repeat-buyers",
        json={
            "name": "Repeat buyers",
            "condition": {"field": "tiers.loyalty", "op": "eq", "value": "repeat"},
        },
        headers=bearer(admin_key),
    )
    await run_until_idle(app.state.engine, clock)
    for index, day in enumerate([1, 1, 2, 3]):
        await client.post(
            "/v1/events",
            json=event(event_id=f"e{index}", occurred_at=f"2026-11-0{day}T10:00:00Z"),
            headers=bearer(admin_key),
        )
    await client.post(
        "/v1/events", json=event(event_id="other", customer_id="keep"), headers=bearer(admin_key)
    )
    assert await rows_about(app, "crm-42") == {
        "customers": 1,
        "events": 4,
        "customer_days": 3,
        "customer_source_days": 3,
        "customer_source_totals": 1,
        "customer_tiers": 1,
        "tier_history": 2,  # new, then repeat
        "segment_members": 1,
        "segment_history": 1,  # entered with the second order
    }

    erased = await client.delete("/v1/customers/crm-42", headers=bearer(admin_key))
    assert erased.status_code == 200
    assert erased.json() == {
        "customer_id": "crm-42",
        "erased": {
            "customers": 1,
            "events": 4,
            "daily_rollups": 3,
            "metric_daily_rollups": 3,
            "metric_lifetime_rollups": 1,
            "tiers": 1,
            "tier_history": 2,
            "segment_memberships": 1,
            "segment_history": 1,
            "webhook_messages": 0,  # no endpoint: none were written (tests/webhooks erase some)
        },
    }
    assert set((await rows_about(app, "crm-42")).values()) == {0}
    kept = await rows_about(app, "keep")  # one order: tier "new", in no segment
    assert kept.pop("segment_members") == kept.pop("segment_history") == 0
    assert set(kept.values()) == {1}
    async with app.state.engine.connect() as conn:
        departures = (
            await conn.execute(text("SELECT scheme_key, tier FROM tier_departures"))
        ).all()
    assert [tuple(row) for row in departures] == [("loyalty", "repeat")]  # no customer id kept

    again = await client.delete("/v1/customers/crm-42", headers=bearer(admin_key))
    assert again.status_code == 200
    assert set(again.json()["erased"].values()) == {0}
    assert (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).status_code == 404


async def test_events_resent_after_erasure_are_created_anew(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post("/v1/events", json=event(), headers=bearer(admin_key))
    await client.delete("/v1/customers/crm-42", headers=bearer(admin_key))
    resent = await client.post("/v1/events", json=event(), headers=bearer(admin_key))
    assert resent.status_code == 201
    assert resent.json()["customer"]["metrics"]["order_count"] == 1


async def test_traits_merged_past_16_kib_are_refused_and_the_stored_ones_kept(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    chunk = "x" * 6000  # each PATCH is well under the limit; three together are over it
    for n in range(2):
        response = await client.patch(
            "/v1/customers/big", json={"traits": {f"t{n}": chunk}}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
    response = await client.patch(
        "/v1/customers/big", json={"traits": {"t2": chunk}}, headers=bearer(admin_key)
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "too_large"
    stored = await client.get("/v1/customers/big", headers=bearer(admin_key))
    assert sorted(stored.json()["traits"]) == ["t0", "t1"]
    # Removing one makes room again.
    response = await client.patch(
        "/v1/customers/big", json={"traits": {"t0": None, "t2": chunk}}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    assert sorted(response.json()["traits"]) == ["t1", "t2"]
