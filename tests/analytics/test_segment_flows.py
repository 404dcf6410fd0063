"""A saved segment's entries and exits per period, over HTTP, on a data set built by moving
the clock and posting events (2026, UTC; the segment ``spenders``: lifetime_spend >= 100):

    Sep 5 10:00  ann   order 150.00           enters
    Sep 5 11:00  ben   order 50.00            (not a member)
    Sep 9 12:00  ben   order 60.00            enters (110.00)
    Oct 2 10:00  ann   refund 100.00          exits (50.00)
    Oct 3 10:00  cat   order 500.00           enters
    Nov 2 10:00  ann   order 70.00            enters again (120.00)
    Nov 3 10:00  ben   refund 20.00           exits (90.00)
    clock left at Nov 20 12:00: members ann, cat

The segment is saved on Sep 1, before any customer exists, so every entry is an event's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import KeyFactory, bearer

PROBLEM = "application/problem+json"
SPENDERS = {
    "name": "Spenders",
    "condition": {"field": "metrics.lifetime_spend", "op": "gte", "value": 100},
}
FLOWS = "/v1/analytics/segments/spenders/flows"


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def build(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> None:
    clock.set(at(9, 1, 9))
    saved = await client.put("/v1/segments/spenders", json=SPENDERS, headers=bearer(key))
    assert saved.status_code == 201, saved.text
    await run_until_idle(app.state.engine, clock)
    steps = [
        (at(9, 5, 10), "ann", "order", "150.00"),
        (at(9, 5, 11), "ben", "order", "50.00"),
        (at(9, 9, 12), "ben", "order", "60.00"),
        (at(10, 2, 10), "ann", "refund", "100.00"),
        (at(10, 3, 10), "cat", "order", "500.00"),
        (at(11, 2, 10), "ann", "order", "70.00"),
        (at(11, 3, 10), "ben", "refund", "20.00"),
    ]
    for when, customer_id, kind, amount in steps:
        clock.set(when)
        body = {
            "event_id": f"{customer_id}-{when:%m%d%H}",
            "customer_id": customer_id,
            "type": kind,
            "occurred_at": when.isoformat(),
            "amount": amount,
        }
        response = await client.post("/v1/events", json=body, headers=bearer(key))
        assert response.status_code == 201, response.text
    clock.set(at(11, 20, 12))


def rows(body: dict[str, Any]) -> list[tuple[str, str, int, int, int]]:
    return [(p["start"], p["end"], p["entered"], p["exited"], p["size"]) for p in body["periods"]]


async def test_segment_flows_per_month(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    response = await client.get(
        FLOWS, params={"from": "2026-08-15", "to": "2026-11-20"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["segment"], body["from"], body["to"], body["interval"], body["size"]) == (
        "spenders",
        "2026-08-15",
        "2026-11-20",
        "month",
        2,
    )
    assert rows(body) == [
        ("2026-08-15", "2026-08-31", 0, 0, 0),
        ("2026-09-01", "2026-09-30", 2, 0, 2),  # ann, ben
        ("2026-10-01", "2026-10-31", 1, 1, 2),  # cat in, ann out
        ("2026-11-01", "2026-11-20", 1, 1, 2),  # ann in, ben out
    ]


async def test_segment_flows_default_to_twelve_months_and_cut_by_day_and_week(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    default = (await client.get(FLOWS, headers=bearer(admin_key))).json()
    assert (default["from"], default["to"], len(default["periods"])) == (
        "2025-12-01",
        "2026-11-20",
        12,
    )
    assert sum(p["entered"] for p in default["periods"]) == 4
    # Size at the end of a period before the last move: ben has left since, ann came back.
    weeks = await client.get(
        FLOWS,
        params={"from": "2026-09-30", "to": "2026-10-06", "interval": "week"},
        headers=bearer(admin_key),
    )
    assert rows(weeks.json()) == [
        ("2026-09-30", "2026-10-04", 1, 1, 2),  # Wednesday to Sunday
        ("2026-10-05", "2026-10-06", 0, 0, 2),
    ]
    days = await client.get(
        FLOWS,
        params={"from": "2026-09-05", "to": "2026-09-06", "interval": "day"},
        headers=bearer(admin_key),
    )
    assert rows(days.json()) == [
        ("2026-09-05", "2026-09-05", 1, 0, 1),
        ("2026-09-06", "2026-09-06", 0, 0, 1),
    ]


async def test_segment_flows_refuse_a_bad_period_an_unknown_segment_and_a_weak_key(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    saved = await client.put("/v1/segments/spenders", json=SPENDERS, headers=bearer(admin_key))
    assert saved.status_code == 201
    backwards = await client.get(
        FLOWS, params={"from": "2026-11-02", "to": "2026-11-01"}, headers=bearer(admin_key)
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "from"
    hourly = await client.get(FLOWS, params={"interval": "hour"}, headers=bearer(admin_key))
    assert hourly.status_code == 422
    missing = await client.get("/v1/analytics/segments/nobody/flows", headers=bearer(admin_key))
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    weak = await make_key("customers:read")
    refused = await client.get(FLOWS, headers=bearer(weak))
    assert refused.status_code == 403
    assert refused.json()["required_scope"] == "segments:read"
