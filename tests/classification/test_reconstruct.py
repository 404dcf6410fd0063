"""An import rebuilds each customer's tier and segment history as if its events had arrived
live: the same moves, at the same moments, for the same reasons, as sending the events one
at a time with the clock at each event's time and the review scheduler run at every
midnight; and the analytics over the imported period answer the same."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.api.problems import error_problem
from app.clock import FrozenClock, midnight, utc_day
from app.events import importer
from app.events.import_file import EventFile
from app.jobs.service import run_until_idle
from app.reclassification import reviews
from tests.conftest import T0, bearer

SPAN_DAYS = 120
START = midnight(utc_day(T0) - timedelta(days=SPAN_DAYS))

SCHEMES: dict[str, dict[str, Any]] = {
    # A window: VIPs spent 1,000 net in 90 days; a downgrade waits 20 days, and not before
    # 10 days in the tier.
    "value": {
        "name": "Value",
        "tiers": [
            {"key": "vip", "name": "VIP",
             "condition": {"field": "metrics.spend_90d", "op": "gte", "value": 1000}},
            {"key": "regular", "name": "Regular",
             "condition": {"any": [
                 {"field": "metrics.order_count", "op": "gte", "value": 1},
                 {"field": "metrics.visits_30d", "op": "gte", "value": 2}]}},
        ],
        "default_tier": "potential",
        "downgrade_grace_days": 20,
        "min_days_in_tier": 10,
    },
    # A time rule, no grace, a tenure.
    "activity": {
        "name": "Activity",
        "tiers": [
            {"key": "active", "name": "Active",
             "condition": {"field": "metrics.last_order_at", "op": "within_days", "value": 45}},
            {"key": "lapsed", "name": "Lapsed",
             "condition": {"field": "metrics.order_count", "op": "gte", "value": 1}},
        ],
        "default_tier": "prospect",
        "downgrade_grace_days": 0,
        "min_days_in_tier": 15,
    },
    # Another scheme's tiers.
    "loyal": {
        "name": "Loyal",
        "tiers": [
            {"key": "gold", "name": "Gold",
             "condition": {"all": [
                 {"field": "tiers.value", "op": "eq", "value": "vip"},
                 {"field": "tiers.activity", "op": "eq", "value": "active"}]}},
        ],
        "default_tier": "base",
        "downgrade_grace_days": 7,
        "min_days_in_tier": 0,
    },
}  # fmt: skip
SEGMENTS: dict[str, dict[str, Any]] = {
    "hot": {
        "name": "Hot",
        "condition": {"any": [
            {"field": "tiers.loyal", "op": "eq", "value": "gold"},
            {"field": "metrics.orders_30d", "op": "gte", "value": 2}]},
    },
    "recent": {
        "name": "Recent",
        "condition": {"field": "metrics.last_event_at", "op": "within_days", "value": 14},
    },
}  # fmt: skip
METRICS = {"visits_30d": {"event_type": "visit", "aggregation": "count", "window_days": 30}}


@dataclass(frozen=True)
class Event:
    customer: int
    type: str
    minute: int
    amount: int

    def body(self, number: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "event_id": f"e-{number}",
            "customer_id": f"c-{self.customer}",
            "type": self.type,
            "occurred_at": self.at.isoformat(),
        }
        if self.type != "visit":
            body["amount"] = f"{self.amount}.00"
        return body

    @property
    def at(self) -> datetime:
        return START + timedelta(minutes=self.minute)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Orders, refunds and visits of up to three customers over 120 days, each at its own
    minute, as event bodies in time order."""
    minutes = draw(st.lists(st.integers(0, SPAN_DAYS * 24 * 60 - 1), min_size=1, max_size=14,
                            unique=True))  # fmt: skip
    events = [
        Event(
            draw(st.integers(0, 2)),
            draw(st.sampled_from(["order", "order", "refund", "visit"])),
            minute,
            draw(st.integers(1, 1500)),
        )
        for minute in sorted(minutes)
    ]
    return [event.body(n) for n, event in enumerate(events)]


async def workspace(client: httpx.AsyncClient, admin_key: str, name: str) -> tuple[str, str]:
    """A new workspace with the schemes, segments and metric above; (slug, admin key)."""
    slug = f"{name}-{uuid.uuid4().hex[:10]}"
    created = await client.post(
        "/v1/workspaces", json={"slug": slug, "name": name}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    key = str(created.json()["admin_key"]["key"])
    for metric, definition in METRICS.items():
        saved = await client.put(f"/v1/metrics/{metric}", json=definition, headers=bearer(key))
        assert saved.status_code == 201, saved.text
    for scheme, body in SCHEMES.items():
        saved = await client.put(f"/v1/schemes/{scheme}", json=body, headers=bearer(key))
        assert saved.status_code == 201, saved.text
    for segment, body in SEGMENTS.items():
        saved = await client.put(f"/v1/segments/{segment}", json=body, headers=bearer(key))
        assert saved.status_code == 201, saved.text
    return slug, key


async def replay_live(
    app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock, events: list[dict[str, Any]]
) -> None:
    """Each event sent alone at its own time; the review scheduler run at every midnight
    (before an event at that very moment), up to T0."""
    night = START
    for body in events:
        at = datetime.fromisoformat(body["occurred_at"])
        while night <= at:
            clock.set(night)
            await reviews.review_due(app.state.engine, clock)
            night += timedelta(days=1)
        clock.set(at)
        sent = await client.post("/v1/events", json=body, headers=bearer(key))
        assert sent.status_code == 201, sent.text
    while night <= T0:
        clock.set(night)
        await reviews.review_due(app.state.engine, clock)
        night += timedelta(days=1)
    clock.set(T0)


async def stored(app: Any, slug: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the workspace holds of its customers' tiers and segments, without ids of its own."""
    queries = {
        "tier_history": "SELECT customer_id, scheme_key, version, from_tier, to_tier, "
        "changed_at, reason, cause FROM tier_history WHERE workspace_id = {ws} "
        "ORDER BY customer_id, seq",
        "segment_history": "SELECT customer_id, segment_key, version, change, changed_at, "
        "reason, cause FROM segment_history WHERE workspace_id = {ws} ORDER BY customer_id, seq",
        "tiers": "SELECT customer_id, scheme_key, tier, version, since, downgrade_to, "
        "downgrade_since, downgrade_at FROM customer_tiers WHERE workspace_id = {ws} "
        "ORDER BY 1, 2",
        "members": "SELECT customer_id, segment_key, since FROM segment_members "
        "WHERE workspace_id = {ws} ORDER BY 1, 2",
        "reviews": "SELECT customer_id, next_review_at FROM customers WHERE workspace_id = {ws} "
        "ORDER BY 1",
    }
    found = {}
    async with app.state.engine.connect() as conn:
        for name, query in queries.items():
            result = await conn.execute(
                text(query.format(ws="(SELECT id FROM workspaces WHERE slug = :slug)")),
                {"slug": slug},
            )
            found[name] = [tuple(row) for row in result]
    return found


async def analytics(client: httpx.AsyncClient, key: str) -> list[Any]:
    """Distribution at past moments, transitions and performance over past periods."""
    answers = []
    for scheme in SCHEMES:
        base = f"/v1/analytics/schemes/{scheme}"
        for days in (0, 20, 45, 90, 130):
            moment = (T0 - timedelta(days=days, hours=5)).isoformat()
            answers.append(await get(client, key, f"{base}/distribution", as_of=moment))
        for start, end in ((SPAN_DAYS, 0), (100, 40), (30, 0)):
            period = {
                "from": midnight(utc_day(T0) - timedelta(days=start)).isoformat(),
                "to": midnight(utc_day(T0) - timedelta(days=end)).isoformat(),
            }
            answers.append(await get(client, key, f"{base}/transitions", **period))
            answers.append(await get(client, key, f"{base}/performance", **period))
    return answers


async def get(client: httpx.AsyncClient, key: str, path: str, **params: str) -> Any:
    response = await client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


@settings(
    max_examples=5,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
    # Each example replays up to 120 days live: shrinking a failure would take minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(events=histories())
async def test_an_import_rebuilds_the_history_a_live_replay_writes(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    database_url: str,
    tmp_path: Path,
    events: list[dict[str, Any]],
) -> None:
    clock.set(T0)
    live, live_key = await workspace(client, admin_key, "live")
    imported, imported_key = await workspace(client, admin_key, "imported")
    batched, batched_key = await workspace(client, admin_key, "batched")
    await run_until_idle(app.state.engine, clock)

    await replay_live(app, client, live_key, clock, events)
    source = tmp_path / f"{imported}.ndjson"
    source.write_text("".join(json.dumps(body) + "\n" for body in reversed(events)))
    summary = await importer.import_events(
        database_url, imported, EventFile(source), clock, error_problem, chunk_size=5,
        show_progress=False,
    )  # fmt: skip
    assert summary.created == len(events)
    sent = await client.post(
        "/v1/events/batch", json={"events": events, "mode": "backfill"},
        headers=bearer(batched_key),
    )  # fmt: skip
    assert sent.status_code == 200, sent.text

    expected = await stored(app, live)
    assert expected["tier_history"]  # the replay moved someone
    assert await stored(app, imported) == expected
    assert await stored(app, batched) == expected
    live_analytics = await analytics(client, live_key)
    assert await analytics(client, imported_key) == live_analytics
    assert await analytics(client, batched_key) == live_analytics


async def test_a_customer_with_live_history_gets_one_import_row(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    slug, key = await workspace(client, admin_key, "known")
    await run_until_idle(app.state.engine, clock)
    live = {"event_id": "live-1", "customer_id": "c-1", "type": "order",
            "occurred_at": (T0 - timedelta(days=1)).isoformat(), "amount": "10.00"}  # fmt: skip
    assert (await client.post("/v1/events", json=live, headers=bearer(key))).status_code == 201
    before = await stored(app, slug)
    older = [
        {"event_id": f"old-{n}", "customer_id": "c-1", "type": "order",
         "occurred_at": (T0 - timedelta(days=60 - n)).isoformat(), "amount": "600.00"}
        for n in range(2)
    ]  # fmt: skip
    sent = await client.post(
        "/v1/events/batch", json={"events": older, "mode": "backfill"}, headers=bearer(key)
    )
    assert sent.status_code == 200, sent.text

    after = await stored(app, slug)
    assert after["tier_history"][: len(before["tier_history"])] == before["tier_history"]
    added = after["tier_history"][len(before["tier_history"]) :]
    # Nothing before its last row: the older orders count in one move, as of the import.
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in added] == [
        ("value", "regular", "vip", T0, "import"),
        ("loyal", "base", "gold", T0, "import"),
    ]
