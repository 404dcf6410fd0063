"""A key with `segments:read` but not `customers:read` queries customers by their id, metrics
and tiers only: it may not select their traits, nor filter or sort by them (which would let
it probe their values), in search, count and both exports. A saved segment's definition may
read traits: its members are listed and exported all the same, without them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import T0, KeyFactory, bearer
from tests.segments.test_segments import put_segment
from tests.tiers.test_tier_lifecycle import order

MACHINERY = {"field": "traits.industry", "op": "eq", "value": "machinery"}
BUYERS = {"field": "metrics.order_count", "op": "gte", "value": 1}
TRAIT_QUERIES: list[tuple[str, dict[str, Any], str]] = [
    ("/v1/customers/search", {"fields": ["customer_id", "traits.email"]}, "fields.1"),
    ("/v1/customers/search", {"fields": ["traits"]}, "fields.0"),
    ("/v1/customers/search", {"fields": ["customer.created_at"]}, "fields.0"),
    ("/v1/customers/search", {"condition": {"all": [BUYERS, MACHINERY]}}, "condition.all.1.field"),
    ("/v1/customers/search", {"sort": [{"field": "traits.email"}]}, "sort.0.field"),
    ("/v1/customers/count", {"condition": MACHINERY}, "condition.field"),
    ("/v1/customers/export", {"fields": ["traits.email"]}, "fields.0"),
    ("/v1/customers/export", {"condition": {"not": MACHINERY}}, "condition.not.field"),
]


@pytest.fixture
async def reader(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory, clock: FrozenClock
) -> str:
    """A `segments:read` key, over two customers with traits and a saved segment on a trait."""
    for n, industry in enumerate(["machinery", "retail"]):
        traits = {"industry": industry, "email": f"c{n}@example.com"}
        put = await client.put(
            f"/v1/customers/c{n}", json={"traits": traits}, headers=bearer(admin_key)
        )
        assert put.status_code in (200, 201), put.text
        await order(client, admin_key, f"e{n}", "10.00", T0, f"c{n}")
    segment = {"name": "Machinery", "condition": MACHINERY}
    await put_segment(client, admin_key, segment, segment="machinery")
    await run_until_idle(app.state.engine, clock)
    return await make_key("segments:read")


def assert_needs_customers_read(response: httpx.Response, where: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:tierline:problem:forbidden"
    assert problem["required_scope"] == "customers:read"
    assert problem["detail"].startswith(f"{where}: "), problem["detail"]


@pytest.mark.parametrize(("path", "body", "where"), TRAIT_QUERIES)
async def test_a_query_reading_traits_needs_customers_read(
    client: httpx.AsyncClient,
    reader: str,
    make_key: KeyFactory,
    path: str,
    body: dict[str, Any],
    where: str,
) -> None:
    assert_needs_customers_read(await client.post(path, json=body, headers=bearer(reader)), where)
    both = await make_key("segments:read", "customers:read")
    assert (await client.post(path, json=body, headers=bearer(both))).status_code == 200


async def test_queries_without_traits_answer_a_key_without_customers_read(
    client: httpx.AsyncClient, reader: str
) -> None:
    searched = await client.post(
        "/v1/customers/search",
        json={"condition": BUYERS, "sort": [{"field": "metrics.lifetime_spend"}]},
        headers=bearer(reader),
    )
    assert searched.status_code == 200, searched.text
    items = searched.json()["items"]
    assert [item["customer_id"] for item in items] == ["c0", "c1"]
    assert all(set(item) == {"customer_id", "metrics", "tiers"} for item in items)

    unknown = await client.post(
        "/v1/customers/search", json={"fields": ["email"]}, headers=bearer(reader)
    )
    assert unknown.status_code == 422  # not a field at all: no scope would help

    counted = await client.post(
        "/v1/customers/count", json={"condition": BUYERS}, headers=bearer(reader)
    )
    assert counted.json() == {"count": 2}

    exported = await client.post("/v1/customers/export", json={}, headers=bearer(reader))
    assert exported.status_code == 200, exported.text
    lines = [json.loads(line) for line in exported.text.splitlines()]
    assert [line["customer_id"] for line in lines] == ["c0", "c1"]
    assert "example.com" not in exported.text


async def test_a_saved_segment_on_traits_lists_and_exports_its_members_without_them(
    client: httpx.AsyncClient, reader: str
) -> None:
    listed = await client.get("/v1/segments/machinery/customers", headers=bearer(reader))
    assert listed.status_code == 200, listed.text
    assert [item["customer_id"] for item in listed.json()["items"]] == ["c0"]

    exported = await client.get("/v1/segments/machinery/export", headers=bearer(reader))
    assert exported.status_code == 200, exported.text
    rows = exported.text.splitlines()
    assert [row.split(",", 1)[0] for row in rows] == ["customer_id", "c0"]
    assert "machinery" not in exported.text and "example.com" not in exported.text

    asked = "/v1/segments/machinery/export?fields=customer_id,traits.email"
    assert_needs_customers_read(await client.get(asked, headers=bearer(reader)), "fields.1")
