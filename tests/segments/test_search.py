"""Ad-hoc search and count: exact answers against a direct computation over the customers'
profiles, keyset pages with no skips or repeats while rows change, and bad input."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.pagination import decode_cursor, encode_cursor
from app.segments.query import _checksum
from tests.conftest import T0, bearer
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme

INDUSTRIES = ("machinery", "food", "textiles")


async def seed(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> list[Any]:
    """30 customers with varied traits (some without a size) and spend; returns profiles."""
    await put_scheme(client, key, VALUE)
    for n in range(30):
        traits: dict[str, Any] = {"industry": INDUSTRIES[n % 3], "rank": n % 7}
        if n % 4:
            traits["size"] = n % 5
        response = await client.put(
            f"/v1/customers/c{n:02d}", json={"traits": traits}, headers=bearer(key)
        )
        assert response.status_code == 200, response.text
        for k in range(n % 4):  # 0 to 3 orders, amounts repeating so sort keys tie
            await order(client, key, f"e{n}-{k}", f"{(n % 6) * 1000}.50", T0, f"c{n:02d}")
    await run_until_idle(app.state.engine, clock)
    return [await profile(client, key, f"c{n:02d}") for n in range(30)]


async def profile(client: httpx.AsyncClient, key: str, customer_id: str) -> Any:
    response = await client.get(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200
    return response.json()


def spend(p: Any) -> Decimal:
    return Decimal(p["metrics"]["lifetime_spend"])


CASES: list[tuple[dict[str, Any], Callable[[Any], bool]]] = [
    (
        {"field": "tiers.value", "op": "eq", "value": "vip"},
        lambda p: p["tiers"]["value"]["tier"] == "vip",
    ),
    (
        {"field": "metrics.lifetime_spend", "op": "between", "value": [1000, 6000]},
        lambda p: 1000 <= spend(p) <= 6000,
    ),
    (
        {"field": "traits.industry", "op": "eq", "value": "machinery"},
        lambda p: p["traits"]["industry"] == "machinery",
    ),
    (
        {
            "all": [
                {"field": "traits.industry", "op": "in", "value": ["food", "textiles"]},
                {"not": {"field": "traits.size", "op": "gte", "value": 2}},
            ]
        },
        lambda p: p["traits"]["industry"] != "machinery" and p["traits"].get("size", -1) < 2,
    ),
    (
        {
            "any": [
                {"field": "traits.size", "op": "exists", "value": False},
                {"field": "metrics.order_count", "op": "gte", "value": 3},
            ]
        },
        lambda p: "size" not in p["traits"] or p["metrics"]["order_count"] >= 3,
    ),
    (
        {"field": "tiers.value", "op": "in", "value": ["vip", "potential"]},
        lambda p: p["tiers"]["value"]["tier"] in ("vip", "potential"),
    ),
    (
        {
            "all": [
                {"field": "tiers.value", "op": "eq", "value": "regular"},
                {"all": [{"field": "traits.rank", "op": "eq", "value": 2.0}]},
            ]
        },
        lambda p: p["tiers"]["value"]["tier"] == "regular" and p["traits"]["rank"] == 2,
    ),
    ({"all": []}, lambda p: True),
]


async def all_pages(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], limit: int
) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        response = await client.post(
            "/v1/customers/search",
            json={**body, "limit": limit, "cursor": cursor},
            headers=bearer(key),
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_count_and_search_equal_a_direct_computation(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    profiles = await seed(app, client, admin_key, clock)
    for condition, holds in CASES:
        expected = sorted(p["customer_id"] for p in profiles if holds(p))
        assert len(expected) > 0, condition  # every case selects someone...
        counted = await client.post(
            "/v1/customers/count", json={"condition": condition}, headers=bearer(admin_key)
        )
        assert counted.status_code == 200
        assert counted.json() == {"count": len(expected)}, condition
        found = await all_pages(client, admin_key, {"condition": condition}, limit=4)
        assert [item["customer_id"] for item in found] == expected, condition
    assert len(expected) == 30  # ...and the last one everyone
    everyone = await client.post("/v1/customers/count", json={}, headers=bearer(admin_key))
    assert everyone.json() == {"count": 30}


def sort_key(p: Any, direction: str) -> tuple[Any, ...]:
    """Spend in the given direction, then size ascending with no size last, then the id."""
    amount = spend(p) if direction == "asc" else -spend(p)
    size = p["traits"].get("size")
    return (amount, size is None, size or 0, p["customer_id"])


@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_pages_follow_the_sort_with_nulls_last_and_the_id_breaking_ties(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, direction: str
) -> None:
    profiles = await seed(app, client, admin_key, clock)
    body = {
        "sort": [
            {"field": "metrics.lifetime_spend", "direction": direction},
            {"field": "traits.size"},
        ],
        "fields": ["customer_id"],
    }
    found = await all_pages(client, admin_key, body, limit=4)
    expected = [p["customer_id"] for p in sorted(profiles, key=lambda p: sort_key(p, direction))]
    assert [item["customer_id"] for item in found] == expected


async def test_no_customer_is_skipped_or_repeated_while_rows_change_between_pages(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    profiles = await seed(app, client, admin_key, clock)
    body: dict[str, Any] = {
        "sort": [{"field": "metrics.lifetime_spend", "direction": "desc"}],
        "fields": ["customer_id", "metrics.lifetime_spend"],
        "limit": 5,
    }
    seen: list[str] = []
    moved: set[str] = set()
    cursor = None
    page_number = 0
    while True:
        response = await client.post(
            "/v1/customers/search", json={**body, "cursor": cursor}, headers=bearer(admin_key)
        )
        page = response.json()
        seen += [item["customer_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # Between pages: one customer already seen and one not yet seen change their sort
        # key, a third changes only a trait, and a new customer appears.
        page_number += 1
        unseen = sorted({p["customer_id"] for p in profiles} - set(seen) - moved)
        # The movers and the newcomer all jump ahead of the cursor: paging by offset would
        # then show steady customers again.
        for customer_id in (seen[0], unseen[-1]):
            event_id = f"m{page_number}-{customer_id}"
            await order(client, admin_key, event_id, "100000.00", T0, customer_id)
            moved.add(customer_id)
        await client.patch(
            f"/v1/customers/{unseen[0]}",
            json={"traits": {"touched": True}},
            headers=bearer(admin_key),
        )
        await order(client, admin_key, f"new{page_number}", "100000.00", T0, f"new{page_number}")
    steady = {p["customer_id"] for p in profiles} - moved
    assert {c for c in seen if seen.count(c) > 1} <= moved  # only a mover may repeat
    for customer_id in steady:
        assert seen.count(customer_id) == 1, customer_id


BAD_INPUT: list[tuple[str, dict[str, Any], int, str, str]] = [
    # (what, body, status, problem type suffix, the field named)
    (
        "unknown sort field",
        {"sort": [{"field": "metrics.nope"}]},
        422,
        "validation-error",
        "sort.0.field",
    ),
    ("sort by a group", {"sort": [{"field": "metrics"}]}, 422, "validation-error", "sort.0.field"),
    (
        "malformed sort field",
        {"sort": [{"field": "spend"}]},
        422,
        "validation-error",
        "sort.0.field",
    ),
    (
        "sort by unknown scheme",
        {"sort": [{"field": "tiers.nope"}]},
        422,
        "validation-error",
        "sort.0.field",
    ),
    (
        "bad direction",
        {"sort": [{"field": "customer_id", "direction": "up"}]},
        422,
        "validation-error",
        "sort.0.direction",
    ),
    ("limit 0", {"limit": 0}, 422, "validation-error", "limit"),
    ("limit 1001", {"limit": 1001}, 422, "validation-error", "limit"),
    (
        "unknown field",
        {"fields": ["traits.a", "metrics.nope"]},
        422,
        "validation-error",
        "fields.1",
    ),
    (
        "unknown metric in condition",
        {"condition": {"field": "metrics.nope", "op": "gt", "value": 1}},
        422,
        "validation-error",
        "condition.field",
    ),
    ("unknown extra key", {"conditions": {}}, 422, "validation-error", "conditions"),
]


@pytest.mark.parametrize(("what", "body", "status", "slug", "where"), BAD_INPUT)
async def test_bad_queries_are_refused_naming_the_problem(
    client: httpx.AsyncClient,
    admin_key: str,
    what: str,
    body: dict[str, Any],
    status: int,
    slug: str,
    where: str,
) -> None:
    await put_scheme(client, admin_key, VALUE)
    response = await client.post("/v1/customers/search", json=body, headers=bearer(admin_key))
    assert response.status_code == status, what
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"].endswith(slug), what
    assert where in [error["field"] for error in problem["errors"]], problem


def nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"field": "metrics.order_count", "op": "gt", "value": 0}
    for _ in range(depth - 1):
        node = {"not": node}
    return node


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        (nested(33), "too_deep"),
        ({"any": [{"field": "traits.a", "op": "exists", "value": True}] * 1000}, "too_large"),
    ],
)
async def test_conditions_too_deep_or_too_large_are_refused(
    client: httpx.AsyncClient, admin_key: str, condition: dict[str, Any], code: str
) -> None:
    for path in ("/v1/customers/search", "/v1/customers/count"):
        response = await client.post(path, json={"condition": condition}, headers=bearer(admin_key))
        assert response.status_code == 422
        assert code in [error["code"] for error in response.json()["errors"]]
    assert (
        await client.post(
            "/v1/customers/count", json={"condition": nested(32)}, headers=bearer(admin_key)
        )
    ).status_code == 200


def tampered(cursor: str, change: Callable[[list[Any]], None]) -> str:
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    change(raw)
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


async def test_a_tampered_cursor_or_one_of_another_query_is_refused(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(app, client, admin_key, clock)
    body: dict[str, Any] = {"sort": [{"field": "metrics.lifetime_spend"}], "limit": 3}
    first = await client.post("/v1/customers/search", json=body, headers=bearer(admin_key))
    cursor = first.json()["next_cursor"]
    ok = await client.post(
        "/v1/customers/search", json={**body, "cursor": cursor}, headers=bearer(admin_key)
    )
    assert ok.status_code == 200

    def skip_ahead(raw: list[Any]) -> None:
        raw[1] = "999999"

    refused = {
        "edited sort value": {**body, "cursor": tampered(cursor, skip_ahead)},
        "another sort": {**body, "sort": [{"field": "metrics.order_count"}], "cursor": cursor},
        "another condition": {
            **body,
            "condition": {"field": "traits.industry", "op": "eq", "value": "food"},
            "cursor": cursor,
        },
        "not base64 JSON": {**body, "cursor": "%%%"},
        "wrong arity": {**body, "cursor": tampered(cursor, lambda raw: raw.pop())},
    }
    for what, request in refused.items():
        response = await client.post(
            "/v1/customers/search", json=request, headers=bearer(admin_key)
        )
        assert response.status_code == 400, what
        assert response.json()["type"].endswith("invalid-cursor"), what


async def test_a_made_up_cursor_holding_u0000_is_refused(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    """The checksum is no secret: a cursor made up with a right one and U+0000 in its key
    reached PostgreSQL, whose text cannot hold the character (a 500)."""
    await seed(app, client, admin_key, clock)
    body: dict[str, Any] = {"sort": [{"field": "traits.industry"}], "limit": 1}
    first = await client.post("/v1/customers/search", json=body, headers=bearer(admin_key))
    fingerprint = json.dumps([None, [["traits.industry", "asc"]]], separators=(",", ":"))
    issued = decode_cursor(first.json()["next_cursor"], 3)
    assert issued[0] == _checksum(fingerprint, issued[1:])  # made up as the service makes it
    for key in (["machinery", "a\x00b"], ["a\x00b", "c1"], [{"a\x00": 1}, "c1"]):
        made_up = encode_cursor([_checksum(fingerprint, key), *key])
        response = await client.post(
            "/v1/customers/search", json={**body, "cursor": made_up}, headers=bearer(admin_key)
        )
        assert response.status_code == 400, (key, response.text)
        assert response.json()["type"].endswith("invalid-cursor")


async def test_fields_choose_what_each_item_carries(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await client.put(
        "/v1/customers/a",
        json={"traits": {"address": {"city": "Lyon", "zip": "69001"}, "industry": "food"}},
        headers=bearer(admin_key),
    )
    await order(client, admin_key, "o1", "5000.00", T0, "a")
    await order(client, admin_key, "v1", "0", T0, "a", kind="visit")
    condition = {"field": "traits.address.city", "op": "eq", "value": "Lyon"}
    chosen = await client.post(
        "/v1/customers/search",
        json={
            "condition": condition,
            "fields": [
                "customer_id",
                "traits.address.city",
                "metrics.spend_365d",
                "metrics.visit_count",
                "metrics.refund_count",
                "tiers.value",
            ],
        },
        headers=bearer(admin_key),
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["items"] == [
        {
            "customer_id": "a",
            "traits": {"address": {"city": "Lyon"}},
            "metrics": {"spend_365d": "5000.00", "visit_count": 1, "refund_count": 0},
            "tiers": {"value": "vip"},
        }
    ]
    default = await client.post(
        "/v1/customers/search", json={"condition": condition}, headers=bearer(admin_key)
    )
    (item,) = default.json()["items"]
    shown = await profile(client, admin_key, "a")
    assert item == {
        "customer_id": "a",
        "metrics": shown["metrics"],  # exactly what the profile shows
        "tiers": {"value": "vip"},
    }


async def test_search_needs_the_segments_read_scope(
    client: httpx.AsyncClient, make_key: Callable[..., Any]
) -> None:
    key = await make_key("customers:read")
    for path in ("/v1/customers/search", "/v1/customers/count", "/v1/customers/export"):
        response = await client.post(path, json={}, headers=bearer(key))
        assert response.status_code == 403, path


@pytest.mark.parametrize(
    "values",
    [
        ["beta", "alpha", "gamma", "alpha", "delta"],  # text
        [True, False, True, False, True],  # boolean
        [{"a": 2}, {"a": 1}, [1, 2], "x", 3.5],  # mixed JSON types
    ],
)
async def test_pages_sorted_by_a_trait_of_any_json_type_follow_each_other(
    client: httpx.AsyncClient, admin_key: str, values: list[Any]
) -> None:
    for n, value in enumerate(values):
        response = await client.put(
            f"/v1/customers/t{n}", json={"traits": {"label": value}}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
    body = {"sort": [{"field": "traits.label"}], "fields": ["customer_id"]}
    paged = await all_pages(client, admin_key, body, limit=1)
    whole = await all_pages(client, admin_key, body, limit=100)
    assert [item["customer_id"] for item in paged] == [item["customer_id"] for item in whole]
    assert len(paged) == len(values)
