"""Every trigger goes through the classification pipeline, and what it writes is what the
Python engine says.

For each trigger (an event, a batch, a backfill, a trait change, an override set and ended,
a due review, a new scheme version, a new segment version, a finished metric backfill, a CLV
refit and rescoring, the RFM refresh), for one customer and for a set: snapshot the customers'
tiers, memberships and ``next_review_at``, pull the trigger through the API (or the worker
that runs it), then compare what was written (tier and segment history rows with their
reasons and causes, webhook messages with their payloads, ``next_review_at``) with the
oracle: ``policy.classify`` and the segments' ``evaluate`` (the Python engine of
``tests/tiers/test_bulk_equals_single.py``) applied to the same customers' facts and the
snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic_core import to_jsonable_python
from sqlalchemy import text

from app.classification import pipeline
from app.clock import FrozenClock, earliest
from app.customers.metrics import CLV_METRICS, RFM_METRICS
from app.customers.service import row_of, view
from app.jobs.service import run_until_idle
from app.metrics import service as user_metrics
from app.reclassification import reviews
from app.rules.evaluate import evaluate
from app.segments import membership
from app.segments import repository as segment_store
from app.tiers import policy
from app.tiers import repository as tier_store
from app.tiers.policy import Assignment, Override, Reason
from app.webhooks import SEGMENT_ENTERED, SEGMENT_EXITED, TIER_CHANGED
from tests.clv.test_api import fit, population
from tests.clv.test_summaries import post
from tests.conftest import T0, bearer
from tests.webhooks.test_outbox import subscribe

SIZES = pytest.mark.parametrize("size", [1, 3], ids=["one customer", "a set"])

GOLD = {"field": "metrics.spend_365d", "op": "gte", "value": "500"}
BUYER = {"field": "metrics.order_count", "op": "gte", "value": 1}
VIP = {"field": "traits.vip", "op": "eq", "value": True}


def value_scheme(gold_from: str = "500") -> dict[str, Any]:
    gold = {"any": [{**GOLD, "value": gold_from}, VIP]}
    return {
        "name": "Value",
        "tiers": [
            {"key": "gold", "name": "Gold", "condition": gold},
            {"key": "silver", "name": "Silver", "condition": BUYER},
        ],
        "default_tier": "basic",
        "downgrade_grace_days": 3,
    }


PERKS = {
    "name": "Perks",
    "tiers": [
        {
            "key": "elite",
            "name": "Elite",
            "condition": {"field": "tiers.value", "op": "eq", "value": "gold"},
        }
    ],
    "default_tier": "none",
}
RECENT = {
    "name": "Bought lately",
    "condition": {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
}
BIG = {"name": "Big spenders", "condition": GOLD}


# --- what the customers were, what was written, what the Python engine says ----------------


@dataclass(frozen=True)
class Before:
    now: datetime
    assignments: dict[str, dict[str, Assignment]]
    members: dict[str, set[str]]
    review: dict[str, datetime | None]
    seqs: dict[str, int]


@dataclass(frozen=True)
class Written:
    tier_history: list[tuple[Any, ...]]
    """(customer, scheme, version, from, to, reason, cause) in order"""
    segment_history: list[tuple[Any, ...]]
    """(customer, segment, version, change, reason, cause) in order"""
    messages: list[tuple[Any, ...]]
    """(customer, type, data) in each customer's order"""
    review: dict[str, datetime | None]


async def workspace_of(app: Any) -> Any:
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()


async def snapshot(app: Any, ids: Iterable[str], now: datetime) -> Before:
    workspace_id = await workspace_of(app)
    assignments, members, review = {}, {}, {}
    async with app.state.engine.connect() as conn:
        for customer_id in ids:
            assignments[customer_id] = await tier_store.assignments(conn, workspace_id, customer_id)
            found = await conn.execute(
                text("SELECT segment_key FROM segment_members WHERE customer_id = :c"),
                {"c": customer_id},
            )
            members[customer_id] = set(found.scalars())
            review[customer_id] = (
                await conn.execute(
                    text("SELECT next_review_at FROM customers WHERE customer_id = :c"),
                    {"c": customer_id},
                )
            ).scalar_one_or_none()
        seqs = {
            table: (
                await conn.execute(text(f"SELECT COALESCE(max(seq), 0) FROM {table}"))
            ).scalar_one()
            for table in ("tier_history", "segment_history", "webhook_messages")
        }
    return Before(now, assignments, members, review, seqs)


async def written(app: Any, before: Before) -> Written:
    ids = sorted(before.assignments)
    async with app.state.engine.connect() as conn:
        tiers = await conn.execute(
            text(
                "SELECT customer_id, scheme_key, version, from_tier, to_tier, reason, cause "
                "FROM tier_history WHERE seq > :seq AND customer_id = ANY(:ids) "
                "ORDER BY customer_id, seq"
            ),
            {"seq": before.seqs["tier_history"], "ids": ids},
        )
        segments = await conn.execute(
            text(
                "SELECT customer_id, segment_key, version, change, reason, cause "
                "FROM segment_history WHERE seq > :seq AND customer_id = ANY(:ids) "
                "ORDER BY customer_id, seq"
            ),
            {"seq": before.seqs["segment_history"], "ids": ids},
        )
        messages = await conn.execute(
            text(
                "SELECT customer_id, type, data FROM webhook_messages "
                "WHERE seq > :seq AND customer_id = ANY(:ids) ORDER BY customer_id, seq"
            ),
            {"seq": before.seqs["webhook_messages"], "ids": ids},
        )
        review = await conn.execute(
            text("SELECT customer_id, next_review_at FROM customers WHERE customer_id = ANY(:ids)"),
            {"ids": ids},
        )
        return Written(
            [tuple(row) for row in tiers],
            [tuple(row) for row in segments],
            [tuple(row) for row in messages],
            {row.customer_id: row.next_review_at for row in review},
        )


async def oracle(
    app: Any,
    before: Before,
    reason: Reason,
    causes: dict[str, dict[str, Any]],
    *,
    schemes: set[str] | None = None,
    segments: set[str] | None = None,
    override: Override | None = None,
) -> Written:
    """What the Python engine says the trigger writes for each customer. Without ``schemes``
    and ``segments`` the trigger re-evaluates everything and ``next_review_at`` is computed
    afresh; with them, only those, and ``next_review_at`` only moves earlier. ``override``:
    the one the trigger set (or ended) on the value scheme before classifying."""
    workspace_id = await workspace_of(app)
    now = before.now
    everything = schemes is None and segments is None
    tier_history: list[tuple[Any, ...]] = []
    segment_history: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    review: dict[str, datetime | None] = {}
    async with app.state.engine.connect() as conn:
        definitions = await user_metrics.definitions(conn, workspace_id)
        active = policy.in_dependency_order(await tier_store.active_schemes(conn, workspace_id))
        targeted = [s for s in active if schemes is None or s.key in schemes]
        watched = [
            s
            for s in await segment_store.active_segments(conn, workspace_id)
            if everything or (segments is not None and s.key in segments)
        ]
        for customer_id in sorted(before.assignments):
            row = await row_of(conn, workspace_id, customer_id)
            customer = await view(conn, workspace_id, row, now, "EUR", definitions)
            held = before.assignments[customer_id]
            if override is not None:
                held = held | {"value": replace(held["value"], override=override)}
            result = policy.classify(
                targeted,
                customer.facts({}),
                {k: a for k, a in held.items() if k in {s.key for s in targeted}},
                now,
                reason,
                pending_metrics=customer.pending_metrics,
            )
            tiers = {k: a.tier for k, a in held.items()} | {
                k: a.tier for k, a in result.assignments.items()
            }
            facts = customer.facts(tiers)
            cause = causes[customer_id]
            by_key = {s.key: s for s in targeted}
            for change in result.changes:
                scheme = by_key[change.scheme]
                tier_history.append(
                    (
                        customer_id,
                        change.scheme,
                        change.version,
                        change.from_tier,
                        change.to_tier,
                        change.reason,
                        cause,
                    )
                )
                data = {
                    "customer_id": customer_id,
                    "scheme": scheme.key,
                    "scheme_version": scheme.version,
                    "from_tier": change.from_tier,
                    "to_tier": change.to_tier,
                    "direction": scheme.movement(change.from_tier, change.to_tier),
                    "reason": change.reason,
                    "changed_at": now,
                    "metrics": {n: customer.metrics.get(n) for n in sorted(scheme.reads_metrics)},
                }
                messages.append((customer_id, TIER_CHANGED, to_jsonable_python(data)))
            ready = [s for s in watched if not s.reads_metrics & set(customer.pending_metrics)]
            for segment in ready:
                inside = evaluate(segment.condition, facts, now)
                if inside == (segment.key in before.members[customer_id]):
                    continue
                moved = "entered" if inside else "exited"
                segment_history.append(
                    (customer_id, segment.key, segment.version, moved, reason, cause)
                )
                data = {
                    "customer_id": customer_id,
                    "segment": segment.key,
                    "segment_version": segment.version,
                    "reason": reason,
                    "changed_at": now,
                }
                type_ = SEGMENT_ENTERED if inside else SEGMENT_EXITED
                messages.append((customer_id, type_, to_jsonable_python(data)))
            start = customer.next_review_at if everything else before.review[customer_id]
            review[customer_id] = earliest(
                start, result.next_review_at, membership.next_review(ready, facts, now)
            )
    return Written(tier_history, segment_history, messages, review)


async def check(
    app: Any,
    before: Before,
    reason: Reason,
    causes: dict[str, dict[str, Any]],
    *,
    schemes: set[str] | None = None,
    segments: set[str] | None = None,
    override: Override | None = None,
) -> Written:
    """What the trigger wrote equals the oracle; returns it (so a test can check that the
    trigger moved something at all)."""
    got = await written(app, before)
    want = await oracle(
        app, before, reason, causes, schemes=schemes, segments=segments, override=override
    )
    assert got.tier_history == want.tier_history
    assert got.segment_history == want.segment_history
    assert got.messages == want.messages
    assert got.review == want.review
    return got


# --- set-up -----------------------------------------------------------------------------------


async def put(client: httpx.AsyncClient, key: str, path: str, body: dict[str, Any]) -> Any:
    response = await client.put(path, json=body, headers=bearer(key))
    assert response.status_code in (200, 201), response.text
    return response.json()


async def rules(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> None:
    """Two schemes (one reading the other's tiers), two segments, every message subscribed."""
    await put(client, key, "/v1/schemes/value", value_scheme())
    await put(client, key, "/v1/schemes/perks", PERKS)
    await put(client, key, "/v1/segments/recent", RECENT)
    await put(client, key, "/v1/segments/big", BIG)
    await run_until_idle(app.state.engine, clock)
    await subscribe(app)


def customers(size: int) -> list[str]:
    return [f"c{n}" for n in range(size)]


async def order(
    client: httpx.AsyncClient, key: str, event_id: str, customer_id: str, amount: str, at: datetime
) -> None:
    body = {
        "event_id": event_id,
        "customer_id": customer_id,
        "type": "order",
        "amount": amount,
        "occurred_at": at.isoformat(),
    }
    response = await client.post("/v1/events", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text


async def buyers(
    client: httpx.AsyncClient, key: str, ids: list[str], amount: str = "600.00"
) -> None:
    for n, customer_id in enumerate(ids):
        await order(client, key, f"seed-{customer_id}-{n}", customer_id, amount, T0)


async def last_job_id(app: Any, kind: str) -> str:
    async with app.state.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT id FROM jobs WHERE kind = :kind ORDER BY created_at DESC, id LIMIT 1"),
            {"kind": kind},
        )
        return str(found.scalar_one())


# --- triggers of one customer -----------------------------------------------------------------


@SIZES
async def test_an_event(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "20.00")  # silver
    clock.advance(timedelta(hours=2))
    before = await snapshot(app, ids, clock.now())
    for customer_id in ids:
        await order(client, admin_key, f"big-{customer_id}", customer_id, "900.00", clock.now())
    got = await check(app, before, "event", {c: {"event_id": f"big-{c}"} for c in ids})
    assert {(row[0], row[4]) for row in got.tier_history} >= {(c, "gold") for c in ids}


@SIZES
async def test_a_batch(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    before = await snapshot(app, ids, clock.now())
    items = [
        {
            "event_id": f"b-{c}",
            "customer_id": c,
            "type": "order",
            "amount": "700.00",
            "occurred_at": T0.isoformat(),
        }
        for c in ids
    ]
    response = await client.post(
        "/v1/events/batch", json={"events": items}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    got = await check(app, before, "event", {c: {"event_id": f"b-{c}"} for c in ids})
    assert len(got.tier_history) == 2 * size  # value and perks, first tiers


@SIZES
async def test_a_backfill(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "20.00")
    before = await snapshot(app, ids, clock.now())
    items = [
        {
            "event_id": f"old-{c}-{n}",
            "customer_id": c,
            "type": "order",
            "amount": "300.00",
            "occurred_at": (T0 - timedelta(days=40 + n)).isoformat(),
        }
        for c in ids
        for n in range(2)
    ]
    body = {"mode": "backfill", "notify": True, "events": items}
    response = await client.post("/v1/events/batch", json=body, headers=bearer(admin_key))
    assert response.status_code == 200, response.text
    got = await check(app, before, "import", {key: {} for key in ids})
    assert {(row[0], row[4]) for row in got.tier_history} >= {(c, "gold") for c in ids}


@SIZES
async def test_a_trait_change(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "20.00")
    clock.advance(timedelta(minutes=5))
    before = await snapshot(app, ids, clock.now())
    for customer_id in ids:
        await put(client, admin_key, f"/v1/customers/{customer_id}", {"traits": {"vip": True}})
    got = await check(app, before, "traits_changed", {key: {} for key in ids})
    assert {(row[0], row[4]) for row in got.tier_history} >= {(c, "gold") for c in ids}


@SIZES
async def test_an_override_set_then_ended(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "20.00")
    clock.advance(timedelta(minutes=5))
    before = await snapshot(app, ids, clock.now())
    for customer_id in ids:
        body = {"tier": "gold", "reason": "key account"}
        await put(client, admin_key, f"/v1/customers/{customer_id}/tiers/value/override", body)
    pinned = Override("gold", "key account", before.now)
    causes = {key: {"override": "key account"} for key in ids}
    got = await check(app, before, "override", causes, override=pinned)
    assert [row[5] for row in got.tier_history if row[1] == "value"] == ["override"] * size

    clock.advance(timedelta(days=1))
    before = await snapshot(app, ids, clock.now())
    for customer_id in ids:
        response = await client.delete(
            f"/v1/customers/{customer_id}/tiers/value/override", headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
    ended = replace(pinned, expires_at=before.now)
    got = await check(app, before, "override", {key: {} for key in ids}, override=ended)
    assert [row[5] for row in got.tier_history if row[1] == "value"] == ["override_expired"] * size


@SIZES
async def test_a_due_review(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids)  # gold, until the order leaves the 365 days
    moves: list[tuple[Any, ...]] = []
    for _ in range(10):  # each moment a window or a rule changes, up to the downgrade
        due = {r for r in (await snapshot(app, ids, clock.now())).review.values() if r}
        assert len(due) == 1  # the customers are alike
        clock.set(due.pop())
        before = await snapshot(app, ids, clock.now())
        assert await reviews.review_due(app.state.engine, clock) == size
        causes = {c: {"due_at": due_at(before, c)} for c in ids}
        moves += (await check(app, before, "review", causes)).tier_history
        if any(row[5] == "grace_expired" for row in moves):
            break
    assert [(row[0], row[4], row[5]) for row in moves if row[1] == "value"] == [
        (c, "silver", "grace_expired") for c in ids
    ]


def due_at(before: Before, customer_id: str) -> str:
    moment = before.review[customer_id]
    assert moment is not None
    return moment.isoformat()


# --- triggers of everyone -------------------------------------------------------------------


@SIZES
async def test_a_new_scheme_version(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "300.00")  # silver
    clock.advance(timedelta(hours=1))
    before = await snapshot(app, ids, clock.now())
    version = await put(client, admin_key, "/v1/schemes/value", value_scheme(gold_from="250"))
    await run_until_idle(app.state.engine, clock)
    cause = {
        "scheme": "value",
        "version": version["version"],
        "notify": True,
        "job_id": await last_job_id(app, "reclassify"),
    }
    got = await check(
        app,
        before,
        "rule_change",
        dict.fromkeys(ids, cause),
        schemes={"value", "perks"},
        segments=set(),
    )
    assert {(row[0], row[4]) for row in got.tier_history} >= {(c, "gold") for c in ids}


@SIZES
async def test_a_new_segment_version(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    await rules(app, client, admin_key, clock)
    ids = customers(size)
    await buyers(client, admin_key, ids, "300.00")
    clock.advance(timedelta(hours=1))
    before = await snapshot(app, ids, clock.now())
    smaller = {"name": "Big spenders", "condition": {**GOLD, "value": "250"}}
    await put(client, admin_key, "/v1/segments/big", smaller)
    await run_until_idle(app.state.engine, clock)
    async with app.state.engine.connect() as conn:
        version = (
            await conn.execute(text("SELECT version FROM segments WHERE key = 'big'"))
        ).scalar_one()
    cause = {
        "segment": "big",
        "version": version,
        "job_id": await last_job_id(app, "segment_membership"),
    }
    got = await check(
        app, before, "rule_change", dict.fromkeys(ids, cause), schemes=set(), segments={"big"}
    )
    assert [(row[0], row[3]) for row in got.segment_history] == [(c, "entered") for c in ids]


@SIZES
async def test_a_finished_metric_backfill(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    ids = customers(size)
    await buyers(client, admin_key, ids)
    for customer_id in ids:
        event = {
            "event_id": f"t-{customer_id}",
            "customer_id": customer_id,
            "type": "support_ticket",
            "occurred_at": T0.isoformat(),
        }
        response = await client.post("/v1/events", json=event, headers=bearer(admin_key))
        assert response.status_code == 201, response.text
    counted = {"event_type": "visit", "aggregation": "count", "window_days": 30}
    await put(client, admin_key, "/v1/metrics/touches_30d", counted)
    busy = {"field": "metrics.touches_30d", "op": "gte", "value": 1}
    scheme = {
        "name": "Attention",
        "tiers": [{"key": "busy", "name": "Busy", "condition": busy}],
        "default_tier": "quiet",
    }
    await put(client, admin_key, "/v1/schemes/attention", scheme)
    await put(client, admin_key, "/v1/segments/busy", {"name": "Busy", "condition": busy})
    await run_until_idle(app.state.engine, clock)
    await subscribe(app)
    clock.advance(timedelta(hours=1))
    before = await snapshot(app, ids, clock.now())
    # The metric now counts support tickets: its new source is backfilled, and the scheme
    # and segment reading it wait for it, then move.
    await put(
        client, admin_key, "/v1/metrics/touches_30d", {**counted, "event_type": "support_ticket"}
    )
    await run_until_idle(app.state.engine, clock)
    cause = {"metrics": ["touches_30d"], "job_id": await last_job_id(app, "reclassify")}
    got = await check(
        app,
        before,
        "metric_ready",
        dict.fromkeys(ids, cause),
        schemes={"attention"},
        segments={"busy"},
    )
    assert [(row[0], row[4]) for row in got.tier_history] == [(c, "busy") for c in ids]


async def test_a_clv_refit_and_a_rescoring(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    lapsing = {"field": "metrics.p_alive", "op": "lt", "value": "0.5"}
    scheme = {
        "name": "By predicted value",
        "tiers": [{"key": "lapsing", "name": "Lapsing", "condition": lapsing}],
        "default_tier": "other",
    }
    events = population()
    await post(client, admin_key, events)
    await put(client, admin_key, "/v1/schemes/clv", scheme)
    valuable = {"field": "metrics.predicted_clv_365d", "op": "gte", "value": "100"}
    await put(
        client, admin_key, "/v1/segments/valuable", {"name": "Valuable", "condition": valuable}
    )
    await run_until_idle(app.state.engine, clock)
    await subscribe(app)
    ids = sorted({event[0] for event in events})
    schemes, segments = await readers_of_metrics(app, CLV_METRICS)
    assert (schemes, segments) == ({"clv"}, {"valuable"})

    before = await snapshot(app, ids, clock.now())
    await fit(app, client, admin_key, clock)
    cause = {"job_id": await last_job_id(app, "clv_score")}
    got = await check(
        app, before, "model_refit", dict.fromkeys(ids, cause), schemes=schemes, segments=segments
    )
    assert got.tier_history and got.segment_history

    clock.advance(timedelta(hours=1))
    before = await snapshot(app, ids, clock.now())
    response = await client.patch(
        "/v1/workspace", json={"clv_discount_rate": "0.5"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    await run_until_idle(app.state.engine, clock)
    cause = {"job_id": await last_job_id(app, "clv_score")}
    got = await check(
        app,
        before,
        "prediction_refresh",
        dict.fromkeys(ids, cause),
        schemes=schemes,
        segments=segments,
    )
    assert [row[3] for row in got.segment_history] and all(
        row[3] == "exited" for row in got.segment_history
    )


@SIZES
async def test_the_rfm_refresh(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, size: int
) -> None:
    champions = {"field": "metrics.rfm_r", "op": "gte", "value": 1}
    scheme = {
        "name": "RFM",
        "tiers": [{"key": "scored", "name": "Scored", "condition": champions}],
        "default_tier": "unscored",
    }
    await put(client, admin_key, "/v1/schemes/groups", scheme)
    await put(client, admin_key, "/v1/segments/scored", {"name": "Scored", "condition": champions})
    await run_until_idle(app.state.engine, clock)
    await subscribe(app)
    ids = customers(size)
    await buyers(client, admin_key, ids)
    clock.advance(timedelta(hours=1))
    before = await snapshot(app, ids, clock.now())
    response = await client.post("/v1/schemes/rfm/refresh", headers=bearer(admin_key))
    assert response.status_code == 200, response.text
    await run_until_idle(app.state.engine, clock)
    cause = {"metrics": list(RFM_METRICS), "job_id": await last_job_id(app, "reclassify")}
    schemes, segments = await readers_of_metrics(app, RFM_METRICS)
    assert (schemes, segments) == ({"groups"}, {"scored"})
    got = await check(
        app, before, "rfm_refresh", dict.fromkeys(ids, cause), schemes=schemes, segments=segments
    )
    assert [(row[0], row[4]) for row in got.tier_history] == [(c, "scored") for c in ids]


async def readers_of_metrics(app: Any, metrics: Iterable[str]) -> tuple[set[str], set[str]]:
    """The schemes and segments a job over these metrics re-evaluates, by key."""
    async with app.state.engine.connect() as conn:
        targets = await pipeline.readers_of(conn, await workspace_of(app), metrics)
    return {s.key for s in targets.schemes}, {s.key for s in targets.segments}
