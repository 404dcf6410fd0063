"""Tiers after each event, held downgrades, reviews that come with time alone, and rule
changes applied to everyone while events arrive (the clock is moved, never slept on)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.db.engine import create_engine
from app.jobs.service import run_one_chunk, run_until_idle
from app.reclassification import jobs as reclassification_jobs
from app.reclassification import reviews
from tests.conftest import T0, bearer

VALUE: dict[str, Any] = {
    "name": "Customer value",
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
        },
        {
            "key": "regular",
            "name": "Regular",
            "condition": {"field": "metrics.order_count", "op": "gte", "value": 1},
        },
    ],
    "default_tier": "potential",
}


def scheme(**changes: Any) -> dict[str, Any]:
    return {**VALUE, **changes}


async def put_scheme(
    client: httpx.AsyncClient, key: str, body: dict[str, Any], scheme_key: str = "value"
) -> dict[str, Any]:
    response = await client.put(f"/v1/schemes/{scheme_key}", json=body, headers=bearer(key))
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def order(
    client: httpx.AsyncClient,
    key: str,
    event_id: str,
    amount: str,
    at: datetime,
    customer_id: str = "crm-1",
    kind: str = "order",
) -> dict[str, Any]:
    response = await client.post(
        "/v1/events",
        json={
            "event_id": event_id,
            "customer_id": customer_id,
            "type": kind,
            "occurred_at": at.isoformat(),
            "amount": amount,
        },
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def customer(client: httpx.AsyncClient, key: str, customer_id: str = "crm-1") -> Any:
    response = await client.get(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


async def history(client: httpx.AsyncClient, key: str, customer_id: str = "crm-1") -> list[Any]:
    """Oldest first, as (from, to, reason, changed_at)."""
    response = await client.get(
        f"/v1/customers/{customer_id}/tiers/history?limit=1000", headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    return [
        (item["from_tier"], item["to_tier"], item["reason"], item["changed_at"])
        for item in reversed(response.json()["items"])
    ]


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


async def test_each_event_moves_the_tier_at_once_and_reports_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)

    first = await order(client, admin_key, "o1", "100.00", T0)
    assert first["tier_changes"] == [
        {
            "scheme": "value",
            "version": 1,
            "from_tier": None,
            "to_tier": "regular",
            "reason": "event",
        }
    ]
    assert first["customer"]["tiers"]["value"] == {
        "tier": "regular",
        "version": 1,
        "since": iso(T0),
        "pending_downgrade": None,
        "override": None,
    }

    clock.advance(timedelta(hours=1))
    second = await order(client, admin_key, "o2", "4900.00", T0)
    assert [(c["from_tier"], c["to_tier"]) for c in second["tier_changes"]] == [("regular", "vip")]
    assert second["customer"]["tiers"]["value"]["tier"] == "vip"

    replay = await client.post(
        "/v1/events",
        json={
            "event_id": "o2",
            "customer_id": "crm-1",
            "type": "order",
            "occurred_at": T0.isoformat(),
            "amount": "4900.00",
        },
        headers=bearer(admin_key),
    )
    assert replay.status_code == 200
    assert replay.json()["tier_changes"] == []

    visit = await order(client, admin_key, "v1", "0", T0, kind="visit")
    assert visit["tier_changes"] == []
    assert await history(client, admin_key) == [
        (None, "regular", "event", iso(T0)),
        ("regular", "vip", "event", iso(T0 + timedelta(hours=1))),
    ]
    causes = (
        await client.get("/v1/customers/crm-1/tiers/history", headers=bearer(admin_key))
    ).json()["items"]
    assert [item["cause"] for item in causes] == [{"event_id": "o2"}, {"event_id": "o1"}]


async def test_a_trait_change_reclassifies_with_its_own_reason(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(
        client,
        admin_key,
        {
            "name": "Accounts",
            "tiers": [
                {
                    "key": "key_account",
                    "name": "Key account",
                    "condition": {"field": "traits.employees", "op": "gte", "value": 500},
                }
            ],
            "default_tier": "general",
        },
        "accounts",
    )
    await run_until_idle(app.state.engine, clock)
    put = await client.put(
        "/v1/customers/acme", json={"traits": {"employees": 80}}, headers=bearer(admin_key)
    )
    assert put.json()["tiers"]["accounts"]["tier"] == "general"
    patched = await client.patch(
        "/v1/customers/acme", json={"traits": {"employees": 1200}}, headers=bearer(admin_key)
    )
    assert patched.status_code == 200
    assert patched.json()["tiers"]["accounts"]["tier"] == "key_account"
    assert [(f, t, r) for f, t, r, _ in await history(client, admin_key, "acme")] == [
        (None, "general", "traits_changed"),
        ("general", "key_account", "traits_changed"),
    ]


async def test_an_order_ageing_out_downgrades_on_exactly_the_right_day_with_no_event(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "big", "6000.00", T0 - timedelta(days=10))
    await order(client, admin_key, "other", "10.00", T0, customer_id="bystander")
    # The big order's day is 2026-11-10: it leaves the 30-day window at 2026-12-10 00:00, the
    # 90-day one at 2027-02-08 and the 365-day one at 2027-11-10; each is a review.
    leaves = datetime.fromisoformat("2027-11-10T00:00:00+00:00")
    assert (await customer(client, admin_key))["next_review_at"] == "2026-12-10T00:00:00Z"

    clock.set(leaves - timedelta(seconds=1))
    assert await reviews.review_due(app.state.engine, clock) == 2  # with the bystander
    held = await customer(client, admin_key)
    assert (held["tiers"]["value"]["tier"], held["next_review_at"]) == ("vip", iso(leaves))
    assert await reviews.review_due(app.state.engine, clock) == 0
    bystander_before = (await customer(client, admin_key, "bystander"))["next_review_at"]

    clock.set(leaves)
    assert await reviews.review_due(app.state.engine, clock) == 1
    after = await customer(client, admin_key)
    assert after["tiers"]["value"]["tier"] == "regular"
    assert (await history(client, admin_key))[-1] == ("vip", "regular", "review", iso(leaves))
    # Nobody else was touched.
    assert await history(client, admin_key, "bystander") == [(None, "regular", "event", iso(T0))]
    assert (await customer(client, admin_key, "bystander"))["next_review_at"] == bystander_before
    assert await reviews.review_due(app.state.engine, clock) == 0


async def test_a_downgrade_waits_out_the_grace_days_and_requalifying_cancels_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    monthly = scheme(
        tiers=[
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.spend_30d", "op": "gte", "value": "1000.00"},
            }
        ],
        default_tier="regular",
        downgrade_grace_days=30,
    )
    await put_scheme(client, admin_key, monthly)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "1000.00", T0)  # day 2026-11-20
    stops = datetime.fromisoformat("2026-12-20T00:00:00+00:00")  # leaves the 30-day window
    due = stops + timedelta(days=30)

    clock.set(stops)
    assert await reviews.review_due(app.state.engine, clock) == 1
    held = await customer(client, admin_key)
    assert held["metrics"]["spend_30d"] == "0.00"
    assert held["tiers"]["value"]["tier"] == "vip"
    assert held["tiers"]["value"]["pending_downgrade"] == {
        "to": "regular",
        "since": iso(stops),
        "at": iso(due),
    }
    assert held["next_review_at"] == iso(due)

    clock.set(due - timedelta(seconds=1))
    assert await reviews.review_due(app.state.engine, clock) == 0
    clock.set(due)
    assert await reviews.review_due(app.state.engine, clock) == 1
    assert (await customer(client, admin_key))["tiers"]["value"]["tier"] == "regular"
    assert (await history(client, admin_key))[-1] == ("vip", "regular", "grace_expired", iso(due))

    # Qualifying again is an immediate upgrade; dropping again starts a new grace period,
    # which qualifying once more cancels.
    clock.advance(timedelta(days=1))
    await order(client, admin_key, "o2", "1500.00", clock.now())
    await order(client, admin_key, "r2", "1000.00", clock.now(), kind="refund")
    pending = (await customer(client, admin_key))["tiers"]["value"]
    assert pending["tier"] == "vip"
    assert pending["pending_downgrade"]["at"] == iso(
        datetime.fromisoformat("2027-02-19T00:00:00+00:00")
    )
    await order(client, admin_key, "o3", "600.00", clock.now())
    assert (await customer(client, admin_key))["tiers"]["value"]["pending_downgrade"] is None
    assert [t for _, t, _, _ in await history(client, admin_key)] == [
        "vip",
        "regular",
        "vip",
    ]


async def test_a_downgrade_also_waits_for_the_minimum_days_in_tier(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, scheme(min_days_in_tier=10))
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "5000.00", T0)
    clock.advance(timedelta(days=2))
    await order(client, admin_key, "r1", "2000.00", clock.now(), kind="refund")
    tier = (await customer(client, admin_key))["tiers"]["value"]
    tenure_ends = datetime.fromisoformat("2026-11-30T00:00:00+00:00")  # entered 2026-11-20
    assert (tier["tier"], tier["pending_downgrade"]["at"]) == ("vip", iso(tenure_ends))

    clock.set(tenure_ends)
    assert await reviews.review_due(app.state.engine, clock) == 1
    assert (await history(client, admin_key))[-1] == (
        "vip",
        "regular",
        "grace_expired",
        iso(tenure_ends),
    )


async def test_two_schedulers_at_once_review_each_due_customer_once(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reviews, "BATCH", 3)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    customers = [f"c{n:02d}" for n in range(24)]
    for n, customer_id in enumerate(customers):
        await order(client, admin_key, f"o{n}", "5000.00", T0, customer_id=customer_id)
    clock.set(datetime.fromisoformat("2027-11-20T00:00:00+00:00"))

    assert settings.database_url is not None
    engines = [create_engine(settings.database_url, 4) for _ in range(2)]
    try:
        counts = await asyncio.gather(*(reviews.review_due(engine, clock) for engine in engines))
    finally:
        for engine in engines:
            await engine.dispose()

    assert sum(counts) == len(customers)
    async with app.state.engine.connect() as conn:
        reviewed = (
            await conn.execute(
                text(
                    "SELECT customer_id, count(*) FROM tier_history "
                    "WHERE reason = 'review' GROUP BY customer_id"
                )
            )
        ).all()
    assert dict(reviewed) == {customer_id: 1 for customer_id in customers}


async def test_a_new_version_applies_to_everyone_while_events_arrive(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reclassification_jobs, "CHUNK", 4)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    spend: dict[str, int] = {}
    numbers = itertools.count()

    async def buy(customer_id: str, amount: int) -> None:
        spend[customer_id] = spend.get(customer_id, 0) + amount
        event_id = f"e{next(numbers)}"
        await order(client, admin_key, event_id, f"{amount}.00", T0, customer_id)

    for n in range(14):
        await buy(f"c{n:02d}", 1000 * (n % 7))  # 0 .. 6000
    clock.advance(timedelta(hours=1))
    cheaper_vip = scheme(
        tiers=[
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.spend_365d", "op": "gte", "value": "3000"},
            },
            VALUE["tiers"][1],
        ]
    )
    saved = await put_scheme(client, admin_key, cheaper_vip)
    assert saved["version"] == 2

    assert await run_one_chunk(app.state.engine, clock)  # c00..c03
    for customer_id in ("c01", "c06", "b", "z"):  # done, not yet done, new before, new after
        await buy(customer_id, 3000)
    assert await run_one_chunk(app.state.engine, clock)
    for customer_id in ("c04", "c09", "c13"):
        await buy(customer_id, 1000)
    await run_until_idle(app.state.engine, clock)

    job = (await client.get(f"/v1/jobs/{saved['job_id']}", headers=bearer(admin_key))).json()
    assert job["status"] == "succeeded"
    for customer_id, total in spend.items():
        body = await customer(client, admin_key, customer_id)
        expected = "vip" if total >= 3000 else "regular"
        assert body["tiers"]["value"]["tier"] == expected, customer_id
        assert body["tiers"]["value"]["version"] == 2
        changes = await history(client, admin_key, customer_id)
        # One unbroken chain, no change recorded twice, ending at the current tier.
        assert all(a[1] == b[0] for a, b in itertools.pairwise(changes)), changes
        assert all(f != t for f, t, _, _ in changes)
        assert changes[-1][1] == expected
    rule_changes = {
        customer_id
        for customer_id in spend
        if any(r == "rule_change" for _, _, r, _ in await history(client, admin_key, customer_id))
    }
    # Exactly those who were regular at 3000-4999 before the save and not moved by an event.
    assert rule_changes == {"c03", "c04", "c10", "c11"}


async def test_rules_over_a_metric_being_backfilled_wait_for_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for n, kind in enumerate(["support_ticket", "support_ticket", "order"]):
        await order(client, admin_key, f"e{n}", "10.00", T0, kind=kind)
    defined = await client.put(
        "/v1/metrics/tickets_90d",
        json={"event_type": "support_ticket", "aggregation": "count", "window_days": 90},
        headers=bearer(admin_key),
    )
    assert defined.status_code == 201, defined.text
    await put_scheme(
        client,
        admin_key,
        {
            "name": "Care",
            "tiers": [
                {
                    "key": "needs_care",
                    "name": "Needs care",
                    "condition": {"field": "metrics.tickets_90d", "op": "gte", "value": 2},
                }
            ],
            "default_tier": "fine",
        },
        "care",
    )
    # While the metric is pending, an event does not classify by its null.
    waiting = await order(client, admin_key, "e3", "10.00", T0)
    assert "care" not in waiting["customer"]["tiers"]
    await run_until_idle(app.state.engine, clock)
    ready = await customer(client, admin_key)
    assert ready["metrics"]["tickets_90d"] == 2
    assert ready["tiers"]["care"]["tier"] == "needs_care"
    assert [(f, t) for f, t, _, _ in await history(client, admin_key)] == [(None, "needs_care")]


async def test_a_backfill_batch_rebuilds_the_moves_its_events_made(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
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
    for customer_id, tier in (("c0", "vip"), ("c1", "regular"), ("c2", "regular")):
        body = await customer(client, admin_key, customer_id)
        assert body["tiers"]["value"]["tier"] == tier
    # Each customer's moves at the moments of the events that made them: c0's third order of
    # 2,000 (at T0) took its 365-day spend to 6,000.
    days = {"c0": 6, "c1": 4, "c2": 5}
    for customer_id, first in days.items():
        entered = (None, "regular", "event", iso(T0 - timedelta(days=first)))
        upgraded = [("regular", "vip", "event", iso(T0))] if customer_id == "c0" else []
        assert await history(client, admin_key, customer_id) == [entered, *upgraded]


async def test_a_metric_a_scheme_reads_cannot_be_deleted(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for name, event_type in (("tickets_90d", "support_ticket"), ("visits_30d", "visit")):
        await client.put(
            f"/v1/metrics/{name}",
            json={"event_type": event_type, "aggregation": "count", "window_days": 30},
            headers=bearer(admin_key),
        )
    care = {
        "name": "Care",
        "tiers": [
            {
                "key": "needs_care",
                "name": "Needs care",
                "condition": {"field": "metrics.tickets_90d", "op": "gte", "value": 2},
            }
        ],
        "default_tier": "fine",
    }
    await put_scheme(client, admin_key, care, "care")
    refused = await client.delete("/v1/metrics/tickets_90d", headers=bearer(admin_key))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["schemes"] == ["care"]
    assert (
        await client.get("/v1/metrics/tickets_90d", headers=bearer(admin_key))
    ).status_code == 200
    unused = await client.delete("/v1/metrics/visits_30d", headers=bearer(admin_key))
    assert unused.status_code == 204
    assert (await client.delete("/v1/schemes/care", headers=bearer(admin_key))).status_code == 204
    freed = await client.delete("/v1/metrics/tickets_90d", headers=bearer(admin_key))
    assert freed.status_code == 204
