"""Saved segments: definitions, membership kept up to date on events, trait changes, the
passing of time and definition changes, each entry and exit recorded; and what a segment
reads cannot be pulled from under it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_one_chunk, run_until_idle
from app.reclassification import jobs as reclassification_jobs
from app.reclassification import reviews
from tests.conftest import T0, bearer
from tests.tiers.test_tier_lifecycle import VALUE, iso, order, put_scheme

BIG_SPENDERS = {
    "name": "Big spenders",
    "description": "Spent 4,000 or more",
    "condition": {"field": "metrics.lifetime_spend", "op": "gte", "value": 4000},
}


async def put_segment(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], segment: str = "big"
) -> Any:
    response = await client.put(f"/v1/segments/{segment}", json=body, headers=bearer(key))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def changes(client: httpx.AsyncClient, key: str, customer_id: str) -> list[Any]:
    """Oldest first, as (segment, change, reason, changed_at)."""
    response = await client.get(
        f"/v1/customers/{customer_id}/segments/history?limit=1000", headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    return [
        (item["segment"], item["change"], item["reason"], item["changed_at"])
        for item in reversed(response.json()["items"])
    ]


async def members(client: httpx.AsyncClient, key: str, segment: str = "big") -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(
            f"/v1/segments/{segment}/customers?{query}", headers=bearer(key)
        )
        assert response.status_code == 200, response.text
        ids += [item["customer_id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids


async def member_count(client: httpx.AsyncClient, key: str, segment: str = "big") -> int:
    response = await client.get(f"/v1/segments/{segment}/count", headers=bearer(key))
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


async def test_a_segment_is_saved_versioned_listed_archived_and_revived(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    created = await client.put("/v1/segments/big", json=BIG_SPENDERS, headers=bearer(admin_key))
    assert created.status_code == 201
    assert created.json()["version"] == 1
    assert created.json()["condition"] == BIG_SPENDERS["condition"]
    changed = await client.put(
        "/v1/segments/big", json={**BIG_SPENDERS, "name": "Bigger"}, headers=bearer(admin_key)
    )
    assert changed.status_code == 200
    assert (changed.json()["version"], changed.json()["name"]) == (2, "Bigger")
    assert changed.json()["job_id"] != created.json()["job_id"]
    await put_segment(client, admin_key, BIG_SPENDERS, "another")
    listed = await client.get("/v1/segments?limit=1", headers=bearer(admin_key))
    assert [s["key"] for s in listed.json()["items"]] == ["another"]
    rest = await client.get(
        f"/v1/segments?cursor={listed.json()['next_cursor']}", headers=bearer(admin_key)
    )
    assert [s["key"] for s in rest.json()["items"]] == ["big"]

    await order(client, admin_key, "e1", "5000.00", T0, "a")
    assert await members(client, admin_key) == ["a"]
    archived = await client.delete("/v1/segments/big", headers=bearer(admin_key))
    assert archived.status_code == 204
    assert (await client.get("/v1/segments/big", headers=bearer(admin_key))).json()[
        "archived_at"
    ] == iso(T0)
    assert (
        await client.get("/v1/segments/big/count", headers=bearer(admin_key))
    ).status_code == 404
    listed = await client.get("/v1/segments", headers=bearer(admin_key))
    assert [s["key"] for s in listed.json()["items"]] == ["another"]
    with_archived = await client.get("/v1/segments?archived=true", headers=bearer(admin_key))
    assert [s["key"] for s in with_archived.json()["items"]] == ["another", "big"]
    assert (await client.get("/v1/customers/a/segments", headers=bearer(admin_key))).json() == {
        "items": [{"key": "another", "name": "Big spenders", "since": iso(T0)}],
        "next_cursor": None,
    }

    revived = await client.put("/v1/segments/big", json=BIG_SPENDERS, headers=bearer(admin_key))
    assert revived.status_code == 201
    assert revived.json()["version"] == 3
    await run_until_idle(app.state.engine, clock)
    assert await members(client, admin_key) == ["a"]
    assert await changes(client, admin_key, "a") == [
        ("another", "entered", "event", iso(T0)),
        ("big", "entered", "event", iso(T0)),
        ("big", "entered", "rule_change", iso(T0)),  # the archive dropped it silently
    ]


async def test_events_and_trait_changes_move_a_customer_in_and_out_at_once(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_segment(
        client,
        admin_key,
        {
            "name": "Machinery big spenders",
            "condition": {
                "all": [
                    BIG_SPENDERS["condition"],
                    {"field": "traits.industry", "op": "eq", "value": "machinery"},
                ]
            },
        },
    )
    await client.put(
        "/v1/customers/a", json={"traits": {"industry": "machinery"}}, headers=bearer(admin_key)
    )
    await order(client, admin_key, "e1", "3000.00", T0, "a")
    assert await members(client, admin_key) == []
    await order(client, admin_key, "e2", "1000.00", T0, "a")
    assert await members(client, admin_key) == ["a"]
    await order(client, admin_key, "r1", "500.00", T0, "a", kind="refund")
    assert await members(client, admin_key) == []
    await order(client, admin_key, "e3", "600.00", T0, "a")
    await client.patch(
        "/v1/customers/a", json={"traits": {"industry": "food"}}, headers=bearer(admin_key)
    )
    assert await members(client, admin_key) == []
    assert await changes(client, admin_key, "a") == [
        ("big", "entered", "event", iso(T0)),
        ("big", "exited", "event", iso(T0)),
        ("big", "entered", "event", iso(T0)),
        ("big", "exited", "traits_changed", iso(T0)),
    ]
    history = await client.get("/v1/customers/a/segments/history", headers=bearer(admin_key))
    assert history.json()["items"][-1]["cause"] == {"event_id": "e2"}


async def test_membership_follows_time_with_no_event_on_exactly_the_right_day(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_segment(
        client,
        admin_key,
        {
            "name": "Recent buyers",
            "condition": {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
        },
    )
    await order(client, admin_key, "e1", "10.00", T0, "a")
    assert await members(client, admin_key) == ["a"]
    profile = (await client.get("/v1/customers/a", headers=bearer(admin_key))).json()
    out_at = (T0 + timedelta(days=30)).replace(hour=0)  # the 30 days are T0's day and 29 more
    assert profile["next_review_at"] == iso(out_at)

    clock.set(out_at - timedelta(seconds=1))
    await reviews.review_due(app.state.engine, clock)
    assert await members(client, admin_key) == ["a"]
    clock.set(out_at)
    assert await reviews.review_due(app.state.engine, clock) == 1
    assert await members(client, admin_key) == []
    assert await changes(client, admin_key, "a") == [
        ("big", "entered", "event", iso(T0)),
        ("big", "exited", "review", iso(out_at)),
    ]


async def test_a_new_definition_applies_to_everyone_in_chunks_while_events_arrive(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reclassification_jobs, "CHUNK", 3)
    spend = {f"c{n}": 1000 * n for n in range(8)}  # 0 .. 7000
    for customer_id, amount in spend.items():
        await order(client, admin_key, f"e-{customer_id}", f"{amount}.00", T0, customer_id)
    await put_segment(client, admin_key, BIG_SPENDERS)
    await run_until_idle(app.state.engine, clock)
    assert await members(client, admin_key) == ["c4", "c5", "c6", "c7"]

    clock.advance(timedelta(hours=1))
    cheaper = {
        **BIG_SPENDERS,
        "condition": {"field": "metrics.lifetime_spend", "op": "gte", "value": 2000},
    }
    saved = await put_segment(client, admin_key, cheaper)
    assert await run_one_chunk(app.state.engine, clock)  # c0, c1, c2
    await order(client, admin_key, "late", "1500.00", T0, "c1")  # after its chunk: an event
    await order(client, admin_key, "early", "5000.00", T0, "c3")  # before its chunk
    await run_until_idle(app.state.engine, clock)
    job = (await client.get(f"/v1/jobs/{saved['job_id']}", headers=bearer(admin_key))).json()
    assert job["status"] == "succeeded"
    assert (job["progress"]["done"], job["progress"]["total"]) == (8, 8)
    expected = ["c1", "c2", "c3", "c4", "c5", "c6", "c7"]
    assert await members(client, admin_key) == expected
    assert await member_count(client, admin_key) == 7
    at = iso(T0 + timedelta(hours=1))
    assert await changes(client, admin_key, "c2") == [("big", "entered", "rule_change", at)]
    assert await changes(client, admin_key, "c1") == [("big", "entered", "event", at)]
    assert await changes(client, admin_key, "c3") == [("big", "entered", "event", at)]
    assert await changes(client, admin_key, "c0") == []
    count = await client.post(
        "/v1/customers/count", json={"condition": cheaper["condition"]}, headers=bearer(admin_key)
    )
    assert count.json() == {"count": 7}


async def test_a_segment_over_tiers_follows_a_new_scheme_version(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await put_segment(
        client,
        admin_key,
        {"name": "VIPs", "condition": {"field": "tiers.value", "op": "eq", "value": "vip"}},
        "vips",
    )
    await order(client, admin_key, "e1", "3000.00", T0, "a")
    await order(client, admin_key, "e2", "6000.00", T0, "b")
    await run_until_idle(app.state.engine, clock)
    assert await members(client, admin_key, "vips") == ["b"]
    cheaper_vip = {
        **VALUE,
        "tiers": [
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 2000},
            },
            VALUE["tiers"][1],
        ],
    }
    clock.advance(timedelta(minutes=5))
    await put_scheme(client, admin_key, cheaper_vip)
    await run_until_idle(app.state.engine, clock)
    assert await members(client, admin_key, "vips") == ["a", "b"]
    assert await changes(client, admin_key, "a") == [
        ("vips", "entered", "rule_change", iso(T0 + timedelta(minutes=5)))
    ]


async def test_what_a_segment_reads_cannot_be_removed_from_under_it(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await client.put(
        "/v1/metrics/biggest_order",
        json={"event_type": "order", "aggregation": "max"},
        headers=bearer(admin_key),
    )
    await put_segment(
        client,
        admin_key,
        {
            "name": "VIPs with a big order",
            "condition": {
                "all": [
                    {"field": "tiers.value", "op": "eq", "value": "vip"},
                    {"field": "metrics.biggest_order", "op": "gte", "value": 1000},
                ]
            },
        },
    )
    metric = await client.delete("/v1/metrics/biggest_order", headers=bearer(admin_key))
    assert metric.status_code == 409
    assert metric.json()["segments"] == ["big"]
    scheme = await client.delete("/v1/schemes/value", headers=bearer(admin_key))
    assert scheme.status_code == 409
    assert scheme.json()["segments"] == ["big"]
    no_vip = {**VALUE, "tiers": [VALUE["tiers"][1]]}
    refused = await client.put("/v1/schemes/value", json=no_vip, headers=bearer(admin_key))
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["tier_in_use"]
    assert "segment 'big'" in refused.json()["errors"][0]["message"]

    await client.delete("/v1/segments/big", headers=bearer(admin_key))
    assert (
        await client.delete("/v1/metrics/biggest_order", headers=bearer(admin_key))
    ).status_code == 204


BAD_SEGMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("no name", {"condition": BIG_SPENDERS["condition"]}, "name"),
    ("empty name", {**BIG_SPENDERS, "name": ""}, "name"),
    ("no condition", {"name": "x"}, "condition"),
    (
        "unknown metric",
        {**BIG_SPENDERS, "condition": {"field": "metrics.spent", "op": "gte", "value": 1}},
        "condition.field",
    ),
    (
        "unknown tier",
        {**BIG_SPENDERS, "condition": {"field": "tiers.value", "op": "eq", "value": "gold"}},
        "condition.value",
    ),
    (
        "number for a timestamp",
        {**BIG_SPENDERS, "condition": {"field": "metrics.last_order_at", "op": "gt", "value": 3}},
        "condition.value",
    ),
    ("unknown key", {**BIG_SPENDERS, "owner": "me"}, "owner"),
]


@pytest.mark.parametrize(("what", "body", "where"), BAD_SEGMENTS)
async def test_a_bad_definition_is_refused_and_the_current_one_stays(
    client: httpx.AsyncClient, admin_key: str, what: str, body: dict[str, Any], where: str
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await put_segment(client, admin_key, BIG_SPENDERS)
    response = await client.put("/v1/segments/big", json=body, headers=bearer(admin_key))
    assert response.status_code == 422, what
    assert where in [e["field"] for e in response.json()["errors"]], response.json()
    current = (await client.get("/v1/segments/big", headers=bearer(admin_key))).json()
    assert (current["version"], current["condition"]) == (1, BIG_SPENDERS["condition"])


async def test_bad_keys_cursors_and_unknown_segments(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_segment(client, admin_key, BIG_SPENDERS)
    bad_key = await client.put(
        "/v1/segments/no%20spaces", json=BIG_SPENDERS, headers=bearer(admin_key)
    )
    assert bad_key.status_code == 422
    for path in ("/v1/segments/nope", "/v1/segments/nope/customers", "/v1/segments/nope/count"):
        response = await client.get(path, headers=bearer(admin_key))
        assert response.status_code == 404, path
        assert response.json()["type"].endswith("not-found")
    for path in ("/v1/segments?cursor=WzFd", "/v1/segments/big/customers?cursor=WzFd"):
        response = await client.get(path, headers=bearer(admin_key))  # [1]: not a key
        assert response.status_code == 400, path
    unknown = await client.get("/v1/customers/nobody/segments", headers=bearer(admin_key))
    assert unknown.status_code == 404


async def test_segment_scopes(client: httpx.AsyncClient, make_key: Any) -> None:
    reader = await make_key("segments:read")
    writer = await make_key("segments:write")
    assert (
        await client.put("/v1/segments/big", json=BIG_SPENDERS, headers=bearer(reader))
    ).status_code == 403
    assert (
        await client.put("/v1/segments/big", json=BIG_SPENDERS, headers=bearer(writer))
    ).status_code == 201
    assert (await client.get("/v1/segments/big", headers=bearer(writer))).status_code == 403
    assert (await client.get("/v1/segments/big", headers=bearer(reader))).status_code == 200
    assert (await client.delete("/v1/segments/big", headers=bearer(reader))).status_code == 403


async def test_a_segment_over_a_metric_being_backfilled_waits_for_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for n, kind in enumerate(["support_ticket", "support_ticket", "order"]):
        await order(client, admin_key, f"e{n}", "10.00", T0, "a", kind=kind)
    clock.set(T0 + timedelta(hours=2))
    defined = await client.put(
        "/v1/metrics/tickets_90d",
        json={"event_type": "support_ticket", "aggregation": "count", "window_days": 90},
        headers=bearer(admin_key),
    )
    assert defined.status_code == 201, defined.text
    # Jobs run oldest first: saved "earlier", the segment's job runs while the metric is
    # still pending, and must leave the customer alone rather than read the null as 0.
    clock.set(T0 + timedelta(hours=1))
    await put_segment(
        client,
        admin_key,
        {
            "name": "Needs care",
            # Fewer than 5 tickets; read as null, the inner comparison is false and the
            # customer would enter early.
            "condition": {"not": {"field": "metrics.tickets_90d", "op": "gte", "value": 5}},
        },
    )
    await order(client, admin_key, "e3", "10.00", T0, "a")  # an event meanwhile: the same
    assert await run_one_chunk(app.state.engine, clock)  # the segment's job
    assert await changes(client, admin_key, "a") == []
    clock.set(T0 + timedelta(hours=3))
    await run_until_idle(app.state.engine, clock)  # the backfill, then its metric_ready job
    assert await members(client, admin_key) == ["a"]
    assert await changes(client, admin_key, "a") == [
        ("big", "entered", "metric_ready", iso(T0 + timedelta(hours=3)))
    ]


async def test_an_import_records_entries_at_the_events_that_made_them(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_segment(client, admin_key, BIG_SPENDERS)
    events = [
        {
            "event_id": f"h{n}",
            "customer_id": f"c{n % 3}",
            "type": "order",
            "occurred_at": (T0 - timedelta(days=n)).isoformat(),
            "amount": "2000.00",
        }
        for n in range(7)
    ]
    response = await client.post(
        "/v1/events/batch", json={"events": events, "mode": "backfill"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    # c0 has orders 0, 3, 6 (6,000); c1 and c2 two each (4,000).
    assert await members(client, admin_key) == ["c0", "c1", "c2"]
    # Rebuilt from the events: each entered with the order that took it to 4,000.
    for customer_id, days in (("c0", 3), ("c1", 1), ("c2", 2)):
        entered = ("big", "entered", "event", iso(T0 - timedelta(days=days)))
        assert await changes(client, admin_key, customer_id) == [entered]
