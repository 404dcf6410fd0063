"""The SQL summaries the CLV models see equal a computation from the raw events here: purchase
days in UTC, same-day orders as one purchase, refunds reducing their day's total."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.clv import summaries
from app.predictions import repository as predictions
from app.predictions.model import Summaries
from tests.conftest import T0, bearer

END = date(2026, 9, 30)
PLUS_5 = timezone(timedelta(hours=5))
MINUS_7 = timezone(timedelta(hours=-7))

Event = tuple[str, str, str, datetime]
"""(customer, type, amount, occurred_at)"""

# Hand-made cases, then random customers.
CASES: list[Event] = [
    # Two orders on one UTC day are one purchase; a refund that day lowers its total.
    ("same-day", "order", "100.00", datetime(2026, 6, 1, 9, tzinfo=UTC)),
    ("same-day", "order", "40.00", datetime(2026, 7, 1, 8, tzinfo=UTC)),
    ("same-day", "order", "60.00", datetime(2026, 7, 1, 22, tzinfo=UTC)),
    ("same-day", "refund", "30.00", datetime(2026, 7, 1, 23, tzinfo=UTC)),
    ("same-day", "order", "10.00", datetime(2026, 8, 3, tzinfo=UTC)),
    # 23:30 at UTC-7 is the next UTC day; 02:00 at UTC+5 is the previous one.
    ("offsets", "order", "20.00", datetime(2026, 5, 1, 23, 30, tzinfo=MINUS_7)),
    ("offsets", "order", "25.00", datetime(2026, 5, 3, 2, 0, tzinfo=PLUS_5)),
    ("offsets", "order", "35.00", datetime(2026, 5, 2, 3, 0, tzinfo=UTC)),
    # A refund on a day without an order belongs to no purchase day; one on the first day
    # changes nothing the models see.
    ("refunds", "order", "80.00", datetime(2026, 3, 1, tzinfo=UTC)),
    ("refunds", "refund", "80.00", datetime(2026, 3, 1, 5, tzinfo=UTC)),
    ("refunds", "refund", "15.00", datetime(2026, 4, 1, tzinfo=UTC)),
    ("refunds", "order", "50.00", datetime(2026, 4, 2, tzinfo=UTC)),
    # A repeat day refunded in full nets 0.
    ("refunded", "order", "10.00", datetime(2026, 2, 1, tzinfo=UTC)),
    ("refunded", "order", "70.00", datetime(2026, 2, 9, tzinfo=UTC)),
    ("refunded", "refund", "70.00", datetime(2026, 2, 9, 1, tzinfo=UTC)),
    # One purchase only: no repeat, no monetary value.
    ("once", "order", "5.00", datetime(2026, 9, 30, 23, 59, tzinfo=UTC)),
    # Orders after the calibration end are not seen, nor a customer who starts after it.
    ("late-repeat", "order", "12.00", datetime(2026, 9, 1, tzinfo=UTC)),
    ("late-repeat", "order", "12.00", datetime(2026, 10, 1, 0, 0, tzinfo=UTC)),
    ("after-end", "order", "99.00", datetime(2026, 10, 2, tzinfo=UTC)),
    ("after-end", "order", "99.00", datetime(2026, 10, 5, tzinfo=UTC)),
    # Refunds alone make no purchase day.
    ("refund-only", "refund", "9.00", datetime(2026, 1, 5, tzinfo=UTC)),
]


def random_events(rng: random.Random, customers: int) -> list[Event]:
    events: list[Event] = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(customers):
        for _ in range(rng.randint(1, 12)):
            at = start + timedelta(minutes=rng.randint(0, 60 * 24 * 320))
            kind = "refund" if rng.random() < 0.2 else "order"
            amount = Decimal(rng.randint(100, 50000)) / 100
            events.append((f"r{n}", kind, str(amount), at))
    return events


def expected(events: list[Event], end: date) -> dict[str, tuple[int, int, int, Decimal | None]]:
    """(frequency, recency, age, monetary) per customer, from the events alone."""
    orders: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    net: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer, kind, amount, at in events:
        day = at.astimezone(UTC).date()
        if day > end:
            continue
        if kind == "order":
            orders[customer][day] += 1
            net[customer][day] += Decimal(amount)
        else:
            net[customer][day] -= Decimal(amount)
    result = {}
    for customer, days in orders.items():
        purchase_days = sorted(day for day, count in days.items() if count > 0)
        first, repeats = purchase_days[0], purchase_days[1:]
        monetary = None
        if repeats:
            monetary = sum((net[customer][day] for day in repeats), Decimal(0)) / len(repeats)
        result[customer] = (
            len(repeats),
            (purchase_days[-1] - first).days,
            (end - first).days,
            monetary,
        )
    return result


async def post(client: httpx.AsyncClient, key: str, events: list[Event]) -> None:
    items = [
        {
            "event_id": f"e{i}",
            "customer_id": customer,
            "type": kind,
            "amount": amount,
            "occurred_at": at.isoformat(),
        }
        for i, (customer, kind, amount, at) in enumerate(events)
    ]
    for start in range(0, len(items), 1000):
        response = await client.post(
            "/v1/events/batch",
            json={"mode": "backfill", "events": items[start : start + 1000]},
            headers=bearer(key),
        )
        assert response.status_code == 200, response.text
        assert {r["status"] for r in response.json()["results"]} == {"created"}


def as_rows(found: Summaries) -> list[tuple[float, ...]]:
    """(frequency, recency, age, monetary) per customer, in the order found."""
    return list(
        zip(
            found.frequency.tolist(),
            found.recency.tolist(),
            found.age.tolist(),
            found.monetary.tolist(),
            strict=True,
        )
    )


def expected_rows(wanted: dict[str, tuple[int, int, int, Decimal | None]]) -> list[Any]:
    return sorted(
        (float(f), float(r), float(a), float(m) if m is not None else 0.0)
        for f, r, a, m in wanted.values()
    )


@pytest.fixture
async def workspace_id(app: Any, admin_key: str) -> Any:
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()


async def test_fit_summaries_equal_the_events_by_hand(
    app: Any, client: httpx.AsyncClient, admin_key: str, workspace_id: Any
) -> None:
    events = CASES + random_events(random.Random(7), 150)
    await post(client, admin_key, events)
    wanted = expected(events, END)
    assert wanted["same-day"] == (2, 63, 121, Decimal("40.00"))  # (70 + 10) / 2
    assert wanted["offsets"] == (0, 0, 151, None)  # all three on 2 May UTC
    assert wanted["refunds"] == (1, 32, 213, Decimal("50.00"))
    assert wanted["refunded"][3] == Decimal(0)
    assert "after-end" not in wanted and "refund-only" not in wanted

    async with app.state.engine.begin() as conn:
        found = await summaries.for_fit(conn, workspace_id, END)
    assert len(found) == len(wanted)
    assert sorted(as_rows(found)) == [pytest.approx(r, rel=1e-12) for r in expected_rows(wanted)]


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        # Fewer customers counted than summarised: the rest are appended.
        ("UPDATE customers SET first_order_at = NULL WHERE customer_id LIKE 'r1%'", "short"),
        # More counted: the room left over is cut off.
        (
            "UPDATE customers SET first_order_at = '2020-01-01' WHERE first_order_at IS NOT NULL "
            "OR order_count = 0",
            "long",
        ),
    ],
)
async def test_fit_summaries_do_not_depend_on_the_size_they_are_allocated_at(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    workspace_id: Any,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    hint: str,
) -> None:
    """The customers table only sizes the arrays; partitions of 7 rows cross its count."""
    events = CASES + random_events(random.Random(11), 60)
    await post(client, admin_key, events)
    wanted = expected(events, END)
    monkeypatch.setattr(summaries, "_STREAM_ROWS", 7)
    async with app.state.engine.begin() as conn:
        await conn.execute(text(change))
        counted = (
            await conn.execute(summaries._BUYERS, {"ws": workspace_id, "end": END})
        ).scalar_one()
        assert (counted < len(wanted)) if hint == "short" else (counted > len(wanted))
        found = await summaries.for_fit(conn, workspace_id, END)
        await conn.rollback()
    assert len(found) == len(wanted)
    assert sorted(as_rows(found)) == [pytest.approx(r, rel=1e-12) for r in expected_rows(wanted)]


async def test_customer_summaries_count_every_purchase_up_to_today(
    app: Any, client: httpx.AsyncClient, admin_key: str, workspace_id: Any
) -> None:
    await post(client, admin_key, CASES)
    today = T0.date()
    wanted = expected(CASES, today)
    ids = ["same-day", "late-repeat", "after-end", "refund-only", "nobody"]
    async with app.state.engine.begin() as conn:
        found_ids, found = await predictions.for_customers(conn, workspace_id, ids, today)
    assert sorted(found_ids) == ["after-end", "late-repeat", "same-day"]
    rows = dict(zip(found_ids, as_rows(found), strict=True))
    for customer in found_ids:
        f, r, a, m = wanted[customer]
        assert rows[customer] == pytest.approx(
            (f, r, a, float(m) if m is not None else 0.0), rel=1e-12
        )


async def test_holdout_weeks_count_purchase_days_of_customers_seen_before_the_end(
    app: Any, client: httpx.AsyncClient, admin_key: str, workspace_id: Any
) -> None:
    events = CASES + random_events(random.Random(11), 120)
    await post(client, admin_key, events)
    end, days = date(2026, 6, 30), 45
    first: dict[str, date] = {}
    for customer, kind, _, at in events:
        if kind == "order":
            day = at.astimezone(UTC).date()
            first[customer] = min(first.get(customer, day), day)
    purchase_days = {
        (customer, at.astimezone(UTC).date()) for customer, kind, _, at in events if kind == "order"
    }
    wanted: dict[int, int] = defaultdict(int)
    for customer, day in purchase_days:
        if first[customer] <= end < day <= end + timedelta(days=days):
            wanted[(day - end).days // 7 + (0 if (day - end).days % 7 == 0 else 1)] += 1
    async with app.state.engine.begin() as conn:
        found = await summaries.holdout_weeks(conn, workspace_id, end, days)
    assert found == dict(wanted)
    assert max(found) == 7  # 45 days: six whole weeks and a short seventh
