"""The batch endpoint's backfill mode (the import's path): the same outcome as the normal path.

Every status, every stored customer column (``next_review_at`` included), every daily roll-up
and every metric read back must equal what the normal path gives for the same events in another
workspace, and the metrics must equal the independent oracle of the built-in metrics.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.money import convert
from tests.conftest import T0, bearer
from tests.customers.test_metrics_oracle import Sent, observed, oracle

USD_RATE = Decimal("0.92")
CUSTOMER_COLUMNS = (
    "customer_id, traits, order_count, order_total, refund_total, first_order_at, "
    "last_order_at, last_event_at, event_counts, next_review_at"
)


@pytest.fixture
async def normal_key(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> str:
    """An admin key of a second workspace, fed through the normal path for comparison."""
    created = await client.post(
        "/v1/workspaces", json={"slug": "normal", "name": "Normal"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    key = str(created.json()["admin_key"]["key"])
    for using in (admin_key, key):
        rates = await client.put(
            "/v1/fx-rates", json={"rates": {"USD": str(USD_RATE)}}, headers=bearer(using)
        )
        assert rates.status_code == 200
        # User-defined metrics too, so both paths must keep their roll-ups alike.
        for name, definition in USER_METRICS.items():
            saved = await client.put(f"/v1/metrics/{name}", json=definition, headers=bearer(using))
            assert saved.status_code == 201, saved.text
    await run_until_idle(app.state.engine, clock)
    return key


USER_METRICS: dict[str, dict[str, Any]] = {
    "order_sum_30d": {"event_type": "order", "aggregation": "sum", "window_days": 30},
    "biggest_refund": {"event_type": "refund", "aggregation": "max"},
    "visits_7d": {"event_type": "visit", "aggregation": "count", "window_days": 7},
    "last_order_90d": {"event_type": "order", "aggregation": "last", "window_days": 90},
    "avg_order_400d": {"event_type": "order", "aggregation": "avg", "window_days": 400},
}


async def send(
    client: httpx.AsyncClient, key: str, items: list[dict[str, Any]], mode: str
) -> list[dict[str, Any]]:
    response = await client.post(
        "/v1/events/batch", json={"events": items, "mode": mode}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    assert len(results) == len(items)
    return results


async def rows(app: Any, slug: str, query: str) -> list[dict[str, Any]]:
    async with app.state.engine.connect() as conn:
        result = await conn.execute(
            text(query.format(ws="(SELECT id FROM workspaces WHERE slug = :slug)")),
            {"slug": slug},
        )
        return [dict(row._mapping) for row in result]


async def stored_state(app: Any, slug: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    customers = await rows(
        app,
        slug,
        f"SELECT {CUSTOMER_COLUMNS} FROM customers WHERE workspace_id = {{ws}} "
        "ORDER BY customer_id",
    )
    days = await rows(
        app,
        slug,
        "SELECT customer_id, day, orders, order_amount, refund_amount FROM customer_days "
        "WHERE workspace_id = {ws} ORDER BY customer_id, day",
    )
    return customers, days


async def customer(client: httpx.AsyncClient, key: str, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    for stamp in ("created_at", "updated_at"):
        body.pop(stamp)
    return body


@dataclass(frozen=True)
class Item:
    event_id: str
    customer: int
    type: str
    occurred_at: datetime
    amount: Decimal
    currency: str | None
    traits: dict[str, Any] | None

    def body(self, prefix: str) -> dict[str, Any]:
        money = self.type in ("order", "refund")
        body: dict[str, Any] = {
            "event_id": f"{prefix}-{self.event_id}",
            "customer_id": f"{prefix}-c{self.customer}",
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat(),
            "amount": str(self.amount) if money else None,
            "currency": self.currency if money else None,
            "properties": {"n": self.event_id},
        }
        if self.traits is not None:
            body["traits"] = self.traits
        return body

    def sent(self) -> Sent:
        """What the oracle sees: the amount in the base currency."""
        if self.type not in ("order", "refund"):
            return Sent(self.type, self.occurred_at, None)
        amount = (
            self.amount if self.currency in (None, "EUR") else convert(self.amount, USD_RATE, 2)
        )
        return Sent(self.type, self.occurred_at, amount)


items = st.builds(
    Item,
    event_id=st.just(""),
    customer=st.integers(0, 2),
    type=st.sampled_from(["order", "order", "refund", "visit", "survey"]),
    # Two years back, up to the 5 minutes ahead allowed, and a few events too far ahead (422).
    occurred_at=st.one_of(
        st.integers(-2 * 365 * 24 * 60, 4).map(lambda m: T0 + timedelta(minutes=m)),
        st.integers(0, 3 * 24 * 60).map(
            lambda m: datetime(2026, 10, 20, tzinfo=UTC) + timedelta(minutes=m)
        ),
        st.just(T0 + timedelta(minutes=30)),
    ),
    amount=st.decimals(min_value=0, max_value=5000, places=2),
    currency=st.sampled_from([None, None, "EUR", "USD", "JPY"]),
    traits=st.one_of(
        st.none(),
        st.dictionaries(
            st.sampled_from(["region", "size", "vip"]),
            st.sampled_from([None, "north", "south", 1, True]),
            max_size=2,
        ),
    ),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Item], list[int]]:
    """Events with unique ids, some sent again as faithful replays or as conflicting bodies,
    shuffled, and the sizes of the batches they are sent in."""
    originals = [
        replace(item, event_id=f"e{index}")
        for index, item in enumerate(draw(st.lists(items, min_size=1, max_size=30)))
    ]
    again = draw(st.lists(st.tuples(st.sampled_from(originals), st.booleans()), max_size=6))
    extra = [
        item if faithful else replace(item, amount=item.amount + 1, type="order")
        for item, faithful in again
    ]
    sequence = draw(st.permutations(originals + extra))
    cuts = sorted(draw(st.lists(st.integers(1, len(sequence)), max_size=3, unique=True)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, len(sequence)], strict=True) if b > a]
    return sequence, sizes


@settings(
    max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(history=histories(), later=st.lists(st.integers(0, 800), min_size=1, max_size=2))
async def test_backfill_equals_the_normal_path_and_the_oracle(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    normal_key: str,
    clock: FrozenClock,
    history: tuple[list[Item], list[int]],
    later: list[int],
) -> None:
    clock.set(T0)
    sequence, sizes = history
    prefix = uuid.uuid4().hex[:12]
    start = 0
    created: list[Item] = []
    for size in sizes:
        batch = sequence[start : start + size]
        start += size
        backfilled = await send(client, admin_key, [i.body(prefix) for i in batch], "backfill")
        # The normal path in event-time order (stable), so its arrival-order trait merge
        # matches the backfill's event-time merge.
        order = sorted(range(len(batch)), key=lambda k: batch[k].occurred_at)
        normal = await send(client, normal_key, [batch[k].body(prefix) for k in order], "normal")
        normal_by_position = dict(zip(order, normal, strict=True))
        for position, result in enumerate(backfilled):
            expected = normal_by_position[position]
            assert (result["event_id"], result["status"]) == (
                expected["event_id"],
                expected["status"],
            )
            assert result.get("problem") == expected.get("problem")
            if result["status"] == "created":
                created.append(batch[position])

    assert await stored_state(app, "default") == await stored_state(app, "normal")
    touched = sorted({item.customer for item in created})
    for moment in [T0] + [T0 + timedelta(days=d, hours=d % 13) for d in later]:
        clock.set(moment)
        for number in touched:
            customer_id = f"{prefix}-c{number}"
            backfilled_view = await customer(client, admin_key, customer_id)
            assert backfilled_view == await customer(client, normal_key, customer_id)
            mine = [item.sent() for item in created if item.customer == number]
            builtin_only = {
                **backfilled_view,
                "metrics": {
                    name: value
                    for name, value in backfilled_view["metrics"].items()
                    if name not in USER_METRICS
                },
            }
            # User-defined windows move next_review_at too; the views' equality above covers
            # it, and tests/metrics holds the normal path to an oracle that knows them.
            expected = oracle(mine, moment)
            del expected["next_review_at"]
            seen = observed(builtin_only)
            del seen["next_review_at"]
            assert seen == expected


EVENT: dict[str, Any] = {
    "event_id": "o-1",
    "customer_id": "crm-42",
    "type": "order",
    "occurred_at": "2026-11-01T10:00:00Z",
    "amount": "100.00",
}


def event(**changes: Any) -> dict[str, Any]:
    return {**EVENT, **changes}


async def count(app: Any, table: str) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_a_bad_item_is_rejected_alone_with_the_normal_paths_problem(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    batch = [
        event(event_id="ok-1"),
        event(event_id="neg", amount="-5"),
        event(event_id="future", occurred_at="2026-11-20T12:10:00Z"),
        event(event_id="nofx", currency="GBP"),
        event(event_id="nul", properties={"note": "a\u0000b"}),
        {"event_id": 7},
        event(event_id="ok-2", customer_id="crm-43"),
    ]
    results = await send(client, admin_key, batch, "backfill")
    assert [(r["event_id"], r["status"]) for r in results] == [
        ("ok-1", "created"),
        ("neg", "rejected"),
        ("future", "rejected"),
        ("nofx", "rejected"),
        ("nul", "rejected"),
        (None, "rejected"),
        ("ok-2", "created"),
    ]
    assert results[1]["problem"]["errors"][0]["field"] == "amount"
    assert results[2]["problem"]["errors"][0]["code"] == "in_future"
    assert results[3]["problem"]["type"] == "urn:tierline:problem:missing-fx-rate"
    assert results[4]["problem"]["errors"][0]["field"] == "properties"
    assert results[5]["problem"]["status"] == 422
    assert await count(app, "events") == 2
    assert await count(app, "customers") == 2


async def test_duplicates_and_conflicts_inside_and_across_batches(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    first = await send(
        client,
        admin_key,
        [
            event(event_id="a"),
            event(event_id="a", amount="100.0"),  # the same content, formatted otherwise
            event(event_id="a", amount="7.00"),
            event(event_id="b", customer_id="crm-7"),
        ],
        "backfill",
    )
    assert [r["status"] for r in first] == ["created", "duplicate", "rejected", "created"]
    assert first[2]["problem"]["status"] == 409
    assert first[2]["problem"]["type"] == "urn:tierline:problem:event-id-conflict"

    second = await send(
        client,
        admin_key,
        [
            event(event_id="b", amount="1.00", customer_id="crm-7"),
            event(event_id="a", occurred_at="2026-11-01T11:00:00+01:00"),
            event(event_id="c"),
            event(event_id="c"),
        ],
        "backfill",
    )
    assert [r["status"] for r in second] == ["rejected", "duplicate", "created", "duplicate"]
    assert second[0]["problem"]["status"] == 409
    assert await count(app, "events") == 3
    body = await customer(client, admin_key, "crm-42")
    assert (body["metrics"]["order_count"], body["metrics"]["lifetime_spend"]) == (2, "200.00")


async def test_an_event_rejected_first_does_not_hide_a_later_valid_one_with_its_id(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    results = await send(
        client,
        admin_key,
        [event(event_id="x", currency="GBP"), event(event_id="x")],
        "backfill",
    )
    assert [r["status"] for r in results] == ["rejected", "created"]


async def test_traits_follow_event_time_within_a_backfill_batch(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    batch = [
        event(event_id="new", occurred_at="2026-11-10T00:00:00Z", traits={"region": "south"}),
        event(event_id="old", occurred_at="2026-01-10T00:00:00Z", traits={"region": "north"}),
        event(event_id="gone", occurred_at="2026-05-10T00:00:00Z", traits={"size": "large"}),
        event(event_id="drop", occurred_at="2026-06-10T00:00:00Z", traits={"size": None}),
        event(event_id="nest", occurred_at="2026-06-11T00:00:00Z", traits={"x": {"y": None}}),
    ]
    await send(client, admin_key, batch, "backfill")
    assert (await customer(client, admin_key, "crm-42"))["traits"] == {
        "region": "south",
        "x": {"y": None},
    }
    await client.patch(
        "/v1/customers/crm-42", json={"traits": {"size": "small"}}, headers=bearer(admin_key)
    )
    await send(
        client,
        admin_key,
        [event(event_id="later", occurred_at="2025-01-01T00:00:00Z", traits={"size": None})],
        "backfill",
    )
    assert (await customer(client, admin_key, "crm-42"))["traits"] == {
        "region": "south",
        "x": {"y": None},
    }


async def test_traits_a_batch_would_merge_past_16_kib_are_refused_and_the_rest_kept(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    chunk = "x" * 6000  # each event well under the limit; the three merged are over it
    await send(client, admin_key, [event(event_id="t0", traits={"t0": chunk})], "backfill")
    results = await send(
        client,
        admin_key,
        [
            event(event_id="t1", traits={"t1": chunk}),
            event(event_id="plain", type="visit", amount=None),
            event(event_id="t2", traits={"t2": chunk}),
            event(event_id="other", customer_id="crm-7", traits={"t": chunk}),
        ],
        "backfill",
    )
    assert [r["status"] for r in results] == ["rejected", "created", "rejected", "created"]
    assert {results[i]["problem"]["errors"][0]["code"] for i in (0, 2)} == {"too_large"}
    assert sorted((await customer(client, admin_key, "crm-42"))["traits"]) == ["t0"]
    assert sorted((await customer(client, admin_key, "crm-7"))["traits"]) == ["t"]
    assert await count(app, "events") == 3


async def test_backfill_sets_next_review_at_as_of_now(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await send(
        client,
        admin_key,
        [
            event(event_id="o1", occurred_at="2026-11-01T10:00:00Z"),
            event(event_id="o2", occurred_at="2025-11-25T10:00:00Z"),
            event(event_id="o3", occurred_at="2024-12-01T10:00:00Z"),
            event(event_id="v1", type="visit", amount=None, customer_id="crm-v"),
        ],
        "backfill",
    )
    stored = await rows(
        app,
        "default",
        "SELECT customer_id, next_review_at FROM customers WHERE workspace_id = {ws} "
        "ORDER BY customer_id",
    )
    assert stored == [
        {"customer_id": "crm-42", "next_review_at": datetime(2026, 11, 25, tzinfo=UTC)},
        {"customer_id": "crm-v", "next_review_at": None},
    ]


async def test_an_unknown_mode_is_422(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.post(
        "/v1/events/batch",
        json={"events": [EVENT], "mode": "bulk"},
        headers=bearer(admin_key),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "mode"


async def test_notify_is_accepted(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.post(
        "/v1/events/batch",
        json={"events": [EVENT], "mode": "backfill", "notify": True},
        headers=bearer(admin_key),
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "created"


async def test_concurrent_backfills_and_normal_writes_lose_nothing(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    """Overlapping customers and replayed ids, all at once: no deadlock, every order counted."""
    customers = [f"crm-{n}" for n in range(8)]

    def batch(tag: str, size: int) -> list[dict[str, Any]]:
        return [
            event(event_id=f"{tag}-{k}", customer_id=customers[(k * 3 + len(tag)) % 8])
            for k in range(size)
        ]

    backfills = [batch(f"bf{n}", 60) for n in range(6)]
    replays = [list(reversed(b)) for b in backfills[:2]]
    singles = [event(event_id=f"one-{k}", customer_id=customers[k % 8]) for k in range(24)]
    jobs: list[Awaitable[Any]] = [
        send(client, admin_key, b, "backfill") for b in backfills + replays
    ]
    jobs += [send(client, admin_key, b, "normal") for b in (batch("nb", 40), batch("nc", 40))]
    jobs += [client.post("/v1/events", json=e, headers=bearer(admin_key)) for e in singles]
    await asyncio.gather(*jobs)

    expected_orders = 6 * 60 + 2 * 40 + 24
    total = 0
    for customer_id in customers:
        metrics = (await customer(client, admin_key, customer_id))["metrics"]
        assert metrics["lifetime_spend"] == f"{metrics['order_count'] * 100}.00"
        total += metrics["order_count"]
    assert total == expected_orders
