"""A new scheme version writes only what changes: the reclassification job rewrites the
assignments of the customers who move (tier, history, a message per change an endpoint wants,
a delivery per such endpoint) and no row of those who do not; the version each customer shows
comes from the version's watermark, right while the job runs and after it.

The oracle for what the job writes is the Python engine (``policy.classify``, the per-customer
classification the single-event path runs, and ``pipeline.tier_message`` with the endpoints'
Python routing), run on every customer before the job with the same ``now``.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from pydantic_core import to_jsonable_python
from sqlalchemy import text

from app.classification import pipeline
from app.clock import FrozenClock
from app.customers.service import row_of, view
from app.jobs.service import Rotation, run_one_chunk, run_until_idle
from app.reclassification import jobs as reclassification_jobs
from app.tiers import policy
from app.tiers import repository as tier_store
from app.webhooks import outbox
from tests.conftest import T0
from tests.tiers.test_tier_lifecycle import VALUE, customer, order, put_scheme
from tests.webhooks.test_outbox import subscribe, workspace_id

# Lifetime spend per customer, one order each (customers c00, c01...).
SPENDS = ("100", "300", "700", "900", "2000", "3500", "4000", "5200", "6000", "50", "650", "3100")
VERSION_2: dict[str, Any] = {
    **VALUE,
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "condition": {
                "all": [
                    {"field": "metrics.spend_365d", "op": "gte", "value": 3000},
                    {"field": "metrics.last_order_at", "op": "within_days", "value": 365},
                ]
            },
        },
        {
            "key": "regular",
            "name": "Regular",
            "condition": {
                "any": [
                    {"field": "metrics.lifetime_spend", "op": "gte", "value": 600},
                    {"field": "metrics.order_count", "op": "gte", "value": 5},
                ]
            },
        },
    ],
    "downgrade_grace_days": 0,
}
# Version 2 moves c00, c01, c09 down to potential and c05, c06, c11 up to vip.
MOVERS = {"c00", "c01", "c05", "c06", "c09", "c11"}
CHUNK = 5


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of ``CHUNK`` customers, so a job over a dozen takes three."""
    monkeypatch.setattr(reclassification_jobs, "CHUNK", CHUNK)


def customer_ids() -> list[str]:
    return [f"c{n:02}" for n in range(len(SPENDS))]


async def seed(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> None:
    """Version 1 over every customer, and endpoints with every kind of tier filter."""
    await put_scheme(client, key, VALUE)
    await run_until_idle(app.state.engine, clock)
    for cid, spend in zip(customer_ids(), SPENDS, strict=True):
        await order(client, key, f"o-{cid}", spend, T0, customer_id=cid)
    await subscribe(app)
    await subscribe(app, ["customer.tier_changed"], {"direction": "down"})
    await subscribe(app, ["customer.tier_changed"], {"tiers": ["vip"]})
    await subscribe(app, ["customer.tier_changed"], {"schemes": ["other"]})
    await subscribe(app, ["customer.segment_entered"])


async def assignment_rows(app: Any) -> dict[str, tuple[str, str, int]]:
    """Each customer's ``value`` assignment: its row version (``xmin``), tier and the version
    stored in the row."""
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT customer_id, CAST(xmin AS text) AS xmin, tier, version "
                "FROM customer_tiers WHERE scheme_key = 'value'"
            )
        )
        return {r.customer_id: (r.xmin, r.tier, r.version) for r in rows}


async def shown_versions(client: httpx.AsyncClient, key: str) -> dict[str, tuple[str, int]]:
    """The tier and version each customer's profile shows in ``value``."""
    found = {}
    for cid in customer_ids():
        held = (await customer(client, key, cid))["tiers"]["value"]
        found[cid] = (held["tier"], held["version"])
    return found


async def python_engine(
    app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock
) -> tuple[list[tuple[Any, ...]], list[tuple[str, dict[str, Any], list[uuid.UUID]]]]:
    """What classifying each customer alone under the current version would write: history
    rows (customer, version, from, to, reason) and messages (customer, data, endpoints)."""
    ws = await workspace_id(app)
    now = clock.now()
    history: list[tuple[Any, ...]] = []
    messages = []
    async with app.state.engine.connect() as conn:
        (scheme,) = await tier_store.active_schemes(conn, ws)
        routes = await outbox.routes(conn, ws)
        for cid in customer_ids():
            current = await tier_store.assignments(conn, ws, cid)
            seen = await view(conn, ws, await row_of(conn, ws, cid), now, "EUR")
            facts = seen.facts({k: a.tier for k, a in current.items()})
            result = policy.classify([scheme], facts, current, now, "rule_change")
            shown_metrics = (await customer(client, key, cid))["metrics"]
            for change in result.changes:
                history.append(
                    (cid, change.version, change.from_tier, change.to_tier, change.reason)
                )
                values = {name: shown_metrics[name] for name in scheme.reads_metrics}
                message = pipeline.tier_message(scheme, cid, change, values, routes, now)
                if message.endpoints:
                    data = to_jsonable_python(message.data)
                    messages.append((cid, data, sorted(message.endpoints)))
    return history, messages


async def written(
    app: Any, version: int
) -> tuple[list[tuple[Any, ...]], list[tuple[str, dict[str, Any], list[uuid.UUID]]]]:
    async with app.state.engine.connect() as conn:
        history = await conn.execute(
            text(
                "SELECT customer_id, version, from_tier, to_tier, reason FROM tier_history "
                "WHERE version = :version ORDER BY customer_id"
            ),
            {"version": version},
        )
        messages = await conn.execute(
            text(
                """
                SELECT m.customer_id, m.data, array_agg(d.endpoint_id) AS endpoints
                FROM webhook_messages m
                JOIN webhook_deliveries d
                  ON d.workspace_id = m.workspace_id AND d.message_id = m.id
                WHERE m.type = 'customer.tier_changed'
                  AND CAST(m.data ->> 'scheme_version' AS integer) = :version
                GROUP BY m.seq, m.customer_id, m.data
                ORDER BY m.customer_id
                """
            ),
            {"version": version},
        )
        return [tuple(r) for r in history], [
            (r.customer_id, r.data, sorted(r.endpoints)) for r in messages
        ]


async def test_a_new_version_rewrites_the_movers_only_and_writes_what_the_python_engine_would(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
) -> None:
    await seed(app, client, admin_key, clock)
    before = await assignment_rows(app)
    assert {version for _, _, version in before.values()} == {1}

    saved = await put_scheme(client, admin_key, VERSION_2)
    assert saved["version"] == 2
    expected_history, expected_messages = await python_engine(app, client, admin_key, clock)
    assert {row[0] for row in expected_history} == MOVERS
    await run_until_idle(app.state.engine, clock)

    after = await assignment_rows(app)
    for cid in customer_ids():
        if cid in MOVERS:
            assert after[cid][0] != before[cid][0], cid
            assert after[cid][1:] != before[cid][1:], cid
        else:
            assert after[cid] == before[cid], cid  # not rewritten: same xmin, version 1
    history, messages = await written(app, 2)
    assert history == sorted(expected_history)
    assert messages == sorted(expected_messages, key=lambda m: m[0])
    assert {
        cid: version for cid, (_, version) in (await shown_versions(client, admin_key)).items()
    } == {cid: 2 for cid in customer_ids()}


async def test_the_version_shown_follows_the_job_as_it_runs(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
) -> None:
    """Chunk by chunk: the customers the job has passed show version 2 (moved or not), the
    others version 1 with their old tier, except one an event classified meanwhile, which
    holds its version 2 tier; once the job ends, everyone shows version 2."""
    await seed(app, client, admin_key, clock)
    first = await shown_versions(client, admin_key)
    await put_scheme(client, admin_key, VERSION_2)
    ids = customer_ids()

    rotation = Rotation()
    assert await run_one_chunk(app.state.engine, clock, rotation)
    passed = set(ids[:CHUNK])
    # An event for a customer the job has not reached yet (c11 moves to vip under version 2).
    await order(client, admin_key, "late", "1", T0, customer_id="c11")
    shown = await shown_versions(client, admin_key)
    for cid in ids:
        if cid in passed or cid == "c11":
            assert shown[cid][1] == 2, cid
        else:
            assert shown[cid] == first[cid], cid
    assert shown["c11"][0] == "vip"
    assert shown["c00"][0] == "potential"

    assert await run_one_chunk(app.state.engine, clock, rotation)
    passed = set(ids[: 2 * CHUNK])
    shown = await shown_versions(client, admin_key)
    assert {cid for cid, (_, version) in shown.items() if version == 2} == passed | {"c11"}

    await run_until_idle(app.state.engine, clock)
    final = await shown_versions(client, admin_key)
    assert {version for _, version in final.values()} == {2}
    assert {cid for cid in ids if final[cid][0] != first[cid][0]} == MOVERS


async def test_a_version_superseded_mid_job_still_shows_where_its_job_passed(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
) -> None:
    """Version 3 saved while version 2's job is half way: the customers version 2's job
    passed show version 2 until version 3's job passes them; the rest show version 1."""
    await seed(app, client, admin_key, clock)
    await put_scheme(client, admin_key, VERSION_2)
    assert await run_one_chunk(app.state.engine, clock)
    await put_scheme(client, admin_key, {**VERSION_2, "name": "Customer value, renamed"})
    ids = customer_ids()

    shown = await shown_versions(client, admin_key)
    assert {cid: version for cid, (_, version) in shown.items()} == {
        cid: 2 if cid in ids[:CHUNK] else 1 for cid in ids
    }
    await run_until_idle(app.state.engine, clock)
    final = await shown_versions(client, admin_key)
    assert {version for _, version in final.values()} == {3}
