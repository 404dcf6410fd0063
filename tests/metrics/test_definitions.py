"""User-defined metrics over HTTP: definitions, validation, pending backfill, values."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import KeyFactory, bearer
from tests.events.test_ingest import event

SATISFACTION = {
    "event_type": "survey",
    "aggregation": "avg",
    "property": "properties.score",
    "window_days": 180,
}
TICKETS = {"event_type": "support_ticket", "aggregation": "count", "window_days": 90}


async def put_metric(client: httpx.AsyncClient, key: str, name: str, body: dict[str, Any]) -> Any:
    return await client.put(f"/v1/metrics/{name}", json=body, headers=bearer(key))


async def test_definition_on_a_fresh_workspace_is_ready_once_its_job_ran(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    created = await put_metric(client, admin_key, "satisfaction_180d", SATISFACTION)
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["property"], body["window_days"]) == (
        "pending",
        "properties.score",
        180,
    )
    job = await client.get(f"/v1/jobs/{body['job_id']}", headers=bearer(admin_key))
    assert job.json()["status"] == "queued"

    await run_until_idle(app.state.engine, clock)
    job = (await client.get(f"/v1/jobs/{body['job_id']}", headers=bearer(admin_key))).json()
    assert job["status"] == "succeeded"
    assert job["progress"]["percent"] == 100.0
    read = await client.get("/v1/metrics/satisfaction_180d", headers=bearer(admin_key))
    assert read.json()["status"] == "ready"

    replaced = await put_metric(
        client, admin_key, "satisfaction_180d", {**SATISFACTION, "window_days": 30}
    )
    assert replaced.status_code == 200
    assert replaced.json()["status"] == "ready"  # same events, already rolled up


async def test_values_follow_events_and_the_calendar(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_metric(client, admin_key, "satisfaction_180d", SATISFACTION)
    await put_metric(client, admin_key, "tickets_90d", TICKETS)
    await put_metric(client, admin_key, "max_order", {"event_type": "order", "aggregation": "max"})
    await put_metric(
        client,
        admin_key,
        "last_score",
        {"event_type": "survey", "aggregation": "last", "property": "properties.score"},
    )
    await run_until_idle(app.state.engine, clock)
    sent = [
        event(
            event_id="s1",
            type="survey",
            amount=None,
            currency=None,
            occurred_at="2026-11-10T10:00:00Z",
            properties={"score": 4},
        ),
        event(
            event_id="s2",
            type="survey",
            amount=None,
            currency=None,
            occurred_at="2026-06-01T10:00:00Z",
            properties={"score": 2.5},
        ),
        event(
            event_id="s3",
            type="survey",
            amount=None,
            currency=None,
            occurred_at="2026-11-11T10:00:00Z",
            properties={"score": "n/a"},
        ),
        event(
            event_id="t1",
            type="support_ticket",
            amount=None,
            currency=None,
            occurred_at="2026-09-01T10:00:00Z",
        ),
        event(event_id="o1", amount="80.00"),
        event(event_id="o2", amount="120.50", occurred_at="2025-01-01T10:00:00Z"),
    ]
    for item in sent:
        response = await client.post("/v1/events", json=item, headers=bearer(admin_key))
        assert response.status_code == 201, response.text
    metrics = response.json()["customer"]["metrics"]
    assert metrics["satisfaction_180d"] == "3.25"
    assert metrics["tickets_90d"] == 1
    assert metrics["max_order"] == "120.50"
    assert metrics["last_score"] == "4"  # the later survey had no numeric score
    # The June survey leaves the 180-day window at midnight 2026-11-28, before the ticket
    # of 2026-09-01 leaves the 90-day window (2026-11-30).
    assert response.json()["customer"]["next_review_at"] == "2026-11-28T00:00:00Z"

    clock.set(clock.now().replace(month=12, day=1))
    later = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert later["metrics"]["tickets_90d"] == 0
    assert later["metrics"]["satisfaction_180d"] == "4"  # the June survey aged out on Nov 28


async def test_a_metric_over_existing_events_reads_as_pending_until_backfilled(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for index in range(3):
        await client.post(
            "/v1/events",
            json=event(event_id=f"t{index}", type="support_ticket", amount=None, currency=None),
            headers=bearer(admin_key),
        )
    job_id = (await put_metric(client, admin_key, "tickets_90d", TICKETS)).json()["job_id"]
    pending = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert pending["metrics"]["tickets_90d"] is None
    assert pending["pending_metrics"] == ["tickets_90d"]

    await run_until_idle(app.state.engine, clock)
    done = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert done["metrics"]["tickets_90d"] == 3
    assert done["pending_metrics"] == []
    job = (await client.get(f"/v1/jobs/{job_id}", headers=bearer(admin_key))).json()
    assert (job["status"], job["progress"]["done"], job["progress"]["total"]) == (
        "succeeded",
        1,
        1,
    )


BAD_DEFINITIONS = [
    ("unknown aggregation", "m1", {**TICKETS, "aggregation": "median"}, "aggregation"),
    ("window of 0", "m1", {**TICKETS, "window_days": 0}, "window_days"),
    ("window over 3650", "m1", {**TICKETS, "window_days": 3651}, "window_days"),
    ("property on count", "m1", {**TICKETS, "property": "properties.x"}, "body"),
    ("property outside properties", "m1", {**SATISFACTION, "property": "score"}, "property"),
    ("bad event type", "m1", {**TICKETS, "event_type": "Support Ticket"}, "event_type"),
    ("unknown field", "m1", {**TICKETS, "windw": 3}, "windw"),
    ("name not an identifier", "Bad-Name", TICKETS, "name"),
    ("name clashes with a built-in", "spend_30d", TICKETS, "name"),
    ("name clashes with an event count", "survey_count", TICKETS, "name"),
]


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [case[1:] for case in BAD_DEFINITIONS],
    ids=[case[0] for case in BAD_DEFINITIONS],
)
async def test_bad_definitions_are_422_naming_the_field_and_store_nothing(
    client: httpx.AsyncClient, admin_key: str, name: str, body: dict[str, Any], field: str
) -> None:
    response = await put_metric(client, admin_key, name, body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    listed = (await client.get("/v1/metrics", headers=bearer(admin_key))).json()
    assert listed["items"] == []


async def test_list_pages_and_delete(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    for name in ("a_metric", "b_metric", "c_metric"):
        assert (await put_metric(client, admin_key, name, TICKETS)).status_code == 201
    first = (await client.get("/v1/metrics", params={"limit": 2}, headers=bearer(admin_key))).json()
    assert [m["name"] for m in first["items"]] == ["a_metric", "b_metric"]
    second = (
        await client.get(
            "/v1/metrics", params={"cursor": first["next_cursor"]}, headers=bearer(admin_key)
        )
    ).json()
    assert [m["name"] for m in second["items"]] == ["c_metric"]
    assert second["next_cursor"] is None

    reader = await make_key("customers:read")
    assert (await put_metric(client, reader, "d_metric", TICKETS)).status_code == 403
    assert (
        await client.delete("/v1/metrics/a_metric", headers=bearer(admin_key))
    ).status_code == 204
    assert (
        await client.delete("/v1/metrics/a_metric", headers=bearer(admin_key))
    ).status_code == 404
    assert (await client.get("/v1/metrics/a_metric", headers=bearer(reader))).status_code == 404


async def test_deleting_the_last_metric_of_a_source_drops_its_rollups(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    from tests.events.test_ingest import count_rows

    await put_metric(client, admin_key, "tickets_90d", TICKETS)
    await run_until_idle(app.state.engine, clock)
    await client.post(
        "/v1/events",
        json=event(type="support_ticket", amount=None, currency=None),
        headers=bearer(admin_key),
    )
    assert await count_rows(app, "customer_source_days") == 1
    await client.delete("/v1/metrics/tickets_90d", headers=bearer(admin_key))
    assert await count_rows(app, "customer_source_days") == 0
    assert await count_rows(app, "customer_source_totals") == 0
    customer = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert "tickets_90d" not in customer["metrics"]


async def test_backfilled_last_value_follows_event_time_not_arrival(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for index, (day, score) in enumerate([(1, 1), (5, 9), (3, 4)]):
        await client.post(
            "/v1/events",
            json=event(
                event_id=f"s{index}",
                type="survey",
                amount=None,
                currency=None,
                occurred_at=f"2026-11-0{day}T10:00:00Z",
                properties={"score": score},
            ),
            headers=bearer(admin_key),
        )
    await put_metric(
        client,
        admin_key,
        "last_score",
        {"event_type": "survey", "aggregation": "last", "property": "properties.score"},
    )
    await put_metric(
        client,
        admin_key,
        "last_score_30d",
        {
            "event_type": "survey",
            "aggregation": "last",
            "property": "properties.score",
            "window_days": 30,
        },
    )
    await run_until_idle(app.state.engine, clock)
    metrics = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()[
        "metrics"
    ]
    assert (metrics["last_score"], metrics["last_score_30d"]) == ("9", "9")
