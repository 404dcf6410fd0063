"""Built-in metrics equal a recomputation from all of a customer's events.

An independent oracle computes every metric from the raw event list; hypothesis generates event
histories (out-of-order arrival, same-day events, refunds, other types) and moments to read them
at, and the service's incrementally maintained values must match exactly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.clock import FrozenClock
from app.customers.metrics import CLV_METRICS
from tests.conftest import T0, bearer

WINDOWS = (30, 90, 365)


@dataclass(frozen=True)
class Sent:
    type: str
    occurred_at: datetime
    amount: Decimal | None


def oracle(events: list[Sent], now: datetime) -> dict[str, Any]:
    """Every built-in metric, straight from the definitions in the issue."""
    today = now.date()
    orders = [e for e in events if e.type == "order"]
    refunds = [e for e in events if e.type == "refund"]
    order_total = sum((e.amount or Decimal(0) for e in orders), Decimal(0))
    refund_total = sum((e.amount or Decimal(0) for e in refunds), Decimal(0))
    last_order = max((e.occurred_at for e in orders), default=None)

    def age(e: Sent) -> int:
        return (today - e.occurred_at.date()).days

    expected: dict[str, Any] = {
        f"{t}_count": sum(1 for e in events if e.type == t) for t in {e.type for e in events}
    }
    expected |= {
        "order_count": len(orders),
        "lifetime_spend": order_total - refund_total,
        "refund_total": refund_total,
        "avg_order_value": (order_total / len(orders)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_EVEN
        )
        if orders
        else None,
        "first_order_at": min((e.occurred_at for e in orders), default=None),
        "last_order_at": last_order,
        "last_event_at": max((e.occurred_at for e in events), default=None),
        "days_since_last_order": None
        if last_order is None
        else max(0, (today - last_order.date()).days),
        # Ranks among all customers, set only by an RFM refresh (tests/rfm/test_rfm.py).
        **dict.fromkeys(("rfm_r", "rfm_f", "rfm_m", "rfm_fm")),
        # Predictions of a fitted CLV model; none is fitted here (tests/clv).
        **dict.fromkeys(CLV_METRICS),
    }
    review: list[date] = []
    for window in WINDOWS:
        inside_orders = [e for e in orders if age(e) < window]
        inside_refunds = [e for e in refunds if age(e) < window]
        expected[f"spend_{window}d"] = sum(
            (e.amount or Decimal(0) for e in inside_orders), Decimal(0)
        ) - sum((e.amount or Decimal(0) for e in inside_refunds), Decimal(0))
        expected[f"orders_{window}d"] = len(inside_orders)
        review += [
            e.occurred_at.date() + timedelta(days=window) for e in inside_orders + inside_refunds
        ]
    expected["next_review_at"] = (
        datetime.combine(min(review), datetime.min.time(), UTC) if review else None
    )
    return expected


def observed(customer: dict[str, Any]) -> dict[str, Any]:
    metrics = dict(customer["metrics"])
    for key in (
        "lifetime_spend",
        "refund_total",
        "avg_order_value",
        *tuple(f"spend_{w}d" for w in WINDOWS),
    ):
        if metrics[key] is not None:
            metrics[key] = Decimal(metrics[key])
    for key in ("first_order_at", "last_order_at", "last_event_at"):
        if metrics[key] is not None:
            metrics[key] = datetime.fromisoformat(metrics[key])
    review = customer["next_review_at"]
    metrics["next_review_at"] = None if review is None else datetime.fromisoformat(review)
    return metrics


amounts = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
sent_events = st.builds(
    Sent,
    type=st.sampled_from(["order", "order", "refund", "visit", "survey"]),
    # Up to two years back, and the few minutes ahead an event may be early by.
    occurred_at=st.integers(min_value=-2 * 365 * 24 * 60, max_value=4).map(
        lambda minutes: T0 + timedelta(minutes=minutes)
    ),
    amount=amounts,
)
# Many events share a day: pick from a few days, then spread within the day.
same_day_events = st.builds(
    Sent,
    type=st.sampled_from(["order", "refund"]),
    occurred_at=st.tuples(st.integers(0, 3), st.integers(0, 23 * 60)).map(
        lambda dm: datetime(2026, 10, 21, tzinfo=UTC) + timedelta(days=dm[0], minutes=dm[1])
    ),
    amount=amounts,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    history=st.lists(st.one_of(sent_events, same_day_events), min_size=1, max_size=25),
    arrival=st.randoms(use_true_random=False),
    later=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=3),
)
async def test_metrics_equal_recomputation_from_all_events(
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    history: list[Sent],
    arrival: Any,
    later: list[int],
) -> None:
    clock.set(T0)
    customer_id = f"c-{uuid.uuid4().hex}"
    order = list(range(len(history)))
    arrival.shuffle(order)
    for position in order:
        item = history[position]
        body = {
            "event_id": f"{customer_id}-{position}",
            "customer_id": customer_id,
            "type": item.type,
            "occurred_at": item.occurred_at.isoformat(),
            "amount": str(item.amount) if item.type in ("order", "refund") else None,
        }
        response = await client.post("/v1/events", json=body, headers=bearer(admin_key))
        assert response.status_code == 201, response.text

    effective = [
        Sent(e.type, e.occurred_at, e.amount if e.type in ("order", "refund") else None)
        for e in history
    ]
    last = response.json()["customer"]
    assert observed(last) == oracle(effective, T0)

    for days in later:
        clock.set(T0 + timedelta(days=days, hours=days % 13))
        customer = (
            await client.get(f"/v1/customers/{customer_id}", headers=bearer(admin_key))
        ).json()
        assert observed(customer) == oracle(effective, clock.now())
