"""The SQL expressions of every metric equal what the customer's profile shows, to the last
digit: built-ins, event counts and user-defined metrics (kept up, backfilled, pending), at
several moments, with the roundings and window edges where the two engines could drift."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.classification import profile
from app.clock import FrozenClock
from app.customers.columns import customer_columns, half_even
from app.db.tables import customers, workspaces
from app.jobs.service import run_until_idle
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.money import STORED_PLACES
from tests.conftest import T0, bearer

DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# Two minutes before midnight, so an event may be dated tomorrow (five minutes early at most).
POSTED_AT = T0.replace(hour=23, minute=58)

# Defined before the events arrive: kept up event by event.
EARLY_METRICS: dict[str, dict[str, Any]] = {
    "visits": {"event_type": "visit", "aggregation": "count"},
    "score_sum_30d": {
        "event_type": "survey",
        "aggregation": "sum",
        "property": "properties.score",
        "window_days": 30,
    },
    "score_avg": {"event_type": "survey", "aggregation": "avg", "property": "properties.score"},
    "order_avg_90d": {"event_type": "order", "aggregation": "avg", "window_days": 90},
}
# Defined afterwards: backfilled from the stored events by the job.
LATE_METRICS: dict[str, dict[str, Any]] = {
    "score_avg_365d": {
        "event_type": "survey",
        "aggregation": "avg",
        "property": "properties.score",
        "window_days": 365,
    },
    "score_sum": {"event_type": "survey", "aggregation": "sum", "property": "properties.score"},
    "score_min": {"event_type": "survey", "aggregation": "min", "property": "properties.score"},
    "score_max_90d": {
        "event_type": "survey",
        "aggregation": "max",
        "property": "properties.score",
        "window_days": 90,
    },
    "score_last": {"event_type": "survey", "aggregation": "last", "property": "properties.score"},
    "score_last_30d": {
        "event_type": "survey",
        "aggregation": "last",
        "property": "properties.score",
        "window_days": 30,
    },
    "nested_avg": {"event_type": "survey", "aggregation": "avg", "property": "properties.a.b"},
    "order_sum_1d": {"event_type": "order", "aggregation": "sum", "window_days": 1},
    "order_last": {"event_type": "order", "aggregation": "last"},
    "refund_min_365d": {"event_type": "refund", "aggregation": "min", "window_days": 365},
    "tickets_90d": {"event_type": "support_ticket", "aggregation": "count", "window_days": 90},
}
# A new source whose backfill never runs.
PENDING_METRIC = {"event_type": "survey", "aggregation": "avg", "property": "properties.other"}

# Per customer: (event id suffix, type, days before POSTED_AT, amount, properties).
Sent = tuple[str, str, float, str | None, dict[str, Any]]
HISTORIES: dict[str, list[Sent]] = {
    # 10.00005 and 0.00005 are ties at 4 places that half-even rounds down (to an even digit).
    "c-ties": [
        ("o1", "order", 20, "10.0001", {}),
        ("o2", "order", 20.01, "10.0000", {}),
        ("s1", "survey", 20, None, {"score": 0.00005}),
        ("s2", "survey", 0, None, {"score": 0.00005}),
    ],
    "c-odd-ties": [
        ("o1", "order", 20, "0.0001", {}),
        ("o2", "order", 20, "0", {}),
        ("o3", "order", 400, "0.0002", {}),
        ("o4", "order", 400, "0.0003", {}),
        ("s1", "survey", 400, None, {"score": 1.00005}),
        ("s2", "survey", 100, None, {"score": 1.00025, "a": {"b": -2.00005}}),
    ],
    "c-negative": [
        ("s1", "survey", 400, None, {"score": 5}),
        ("s2", "survey", 20, None, {"score": -0.00025}),
        ("s3", "survey", 100, None, {"score": "n/a", "a": {"b": -0.00015}}),
        ("s4", "survey", 0, None, {"score": True}),
        ("s5", "survey", 0.1, None, {}),
        ("s6", "survey", 500, None, {"score": -7, "a": 1}),
    ],
    "c-floats": [
        ("s1", "survey", 0, None, {"score": 0.1}),
        ("s2", "survey", 0, None, {"score": 0.2}),
        ("s3", "survey", 29, None, {"score": 1 / 3}),
        ("s4", "survey", 89, None, {"score": 2.675}),
        ("s5", "survey", 90, None, {"score": -1e-7}),
        ("s6", "survey", 364, None, {"score": 12345678.123456789}),
        ("s7", "survey", 365, None, {"score": 1e-20}),
        ("v1", "visit", 0, None, {}),
        ("v2", "visit", 400, None, {}),
    ],
    "c-lapsed": [
        ("o1", "order", 400, "150.00", {}),
        ("o2", "order", 100, "99.99", {}),
        ("o3", "order", 100, "0.01", {}),
        ("r1", "refund", 20, "20.00", {}),
        ("r2", "refund", 380, "5.5", {}),
        ("t1", "support_ticket", 89, None, {}),
        ("t2", "support_ticket", 90, None, {}),
    ],
    # On the first and just past the last day of each window.
    "c-edges": [
        ("o1", "order", 29, "1.00", {}),
        ("o2", "order", 30, "2.00", {}),
        ("o3", "order", 89, "4.00", {}),
        ("o4", "order", 90, "8.00", {}),
        ("o5", "order", 364, "16.00", {}),
        ("o6", "order", 365, "32.00", {}),
        ("r1", "refund", 29, "0.10", {}),
        ("r2", "refund", 364, "0.20", {}),
    ],
    # Same moment, ids that sort differently in the "C" collation and in a linguistic one.
    "c-collate": [
        ("B", "survey", 3, None, {"score": 1}),
        ("a", "survey", 3, None, {"score": 2}),
        ("o1", "order", 3, "5.00", {}),
        ("o2", "order", 3, "7.00", {}),
    ],
    # Dated tomorrow (UTC): days_since_last_order is 0, not -1.
    "c-early": [
        ("o1", "order", -4 / 1440, "12.3456", {}),
        ("t1", "support_ticket", -3 / 1440, None, {}),
    ],
    "c-empty": [],
}
LATER: dict[str, list[Sent]] = {  # after the late definitions: the write path keeps them up
    "c-later": [
        ("o1", "order", 0, "1.0001", {}),
        ("s1", "survey", 0, None, {"score": -3.00005, "other": 4}),
    ],
    "c-lapsed": [("s1", "survey", 30, None, {"score": 0.5, "other": 1})],
}


async def _post(client: httpx.AsyncClient, key: str, customer_id: str, sent: Sent) -> None:
    suffix, kind, days_ago, amount, properties = sent
    body = {
        "event_id": f"{customer_id}-{suffix}",
        "customer_id": customer_id,
        "type": kind,
        "occurred_at": (POSTED_AT - timedelta(days=days_ago)).isoformat(),
        "amount": amount,
        "currency": "EUR" if amount is not None else None,
        "properties": properties,
    }
    response = await client.post("/v1/events", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text


async def _define(client: httpx.AsyncClient, key: str, metrics: dict[str, dict[str, Any]]) -> None:
    for name, body in metrics.items():
        response = await client.put(f"/v1/metrics/{name}", json=body, headers=bearer(key))
        assert response.status_code == 201, response.text


def _as_sql_value(value: Any) -> Any:
    """What the view shows, as the SQL engine holds it: numbers and money as Decimal."""
    return Decimal(value) if isinstance(value, str) else value


def _same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, datetime):
        return isinstance(actual, datetime) and actual == expected
    return isinstance(actual, int | Decimal) and not isinstance(actual, bool) and actual == expected


async def _workspace_id(app: Any) -> UUID:
    async with app.state.engine.connect() as conn:
        found = await conn.execute(sa.select(workspaces.c.id).where(workspaces.c.slug == "default"))
        return UUID(str(found.scalar_one()))


def _no_tier(scheme: str) -> sa.ColumnElement[Any]:
    return sa.null()


async def test_every_metric_in_sql_equals_the_view(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    clock.set(POSTED_AT)
    await _define(client, admin_key, EARLY_METRICS)
    await run_until_idle(app.state.engine, clock)
    for customer_id, history in HISTORIES.items():
        response = await client.put(
            f"/v1/customers/{customer_id}", json={"traits": {}}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
        for sent in history:
            await _post(client, admin_key, customer_id, sent)
    await _define(client, admin_key, LATE_METRICS)
    await run_until_idle(app.state.engine, clock)
    await _define(client, admin_key, {"pending_avg": PENDING_METRIC})
    for customer_id, history in LATER.items():
        for sent in history:
            await _post(client, admin_key, customer_id, sent)
    workspace_id = await _workspace_id(app)

    checked = set()
    for now in (POSTED_AT, POSTED_AT + timedelta(days=40), POSTED_AT + timedelta(days=400)):
        clock.set(now)
        async with app.state.engine.connect() as conn:
            definitions = await user_metrics.definitions(conn, workspace_id)
            assert [d.name for d in definitions if not d.ready] == ["pending_avg"]
            columns = customer_columns(workspace_id, definitions, now, _no_tier)
            for customer_id in [*HISTORIES, *LATER]:
                view = await profile.describe(conn, workspace_id, customer_id, now, "EUR")
                names = sorted(view["metrics"])
                row = (
                    await conn.execute(
                        sa.select(*(columns.metric(name) for name in names))
                        .select_from(customers)
                        .where(
                            customers.c.workspace_id == workspace_id,
                            customers.c.customer_id.in_([customer_id]),
                        )
                    )
                ).one()
                for name, actual in zip(names, row, strict=True):
                    expected = _as_sql_value(view["metrics"][name])
                    assert _same(actual, expected), (customer_id, now, name, actual, expected)
                    checked.add((name, expected is None))
    # The data set reaches what it is meant to: a pending metric, event counts, a windowed
    # `last` both with and without a value.
    assert {"pending_avg", "score_avg", "avg_order_value", "survey_count"} <= {
        name for name, _ in checked
    }
    assert ("score_last_30d", True) in checked and ("score_last_30d", False) in checked


def test_unknown_metric_names_raise_key_error() -> None:
    columns = customer_columns(uuid4(), [], T0, _no_tier)
    for name in ("nope", "spend_7d", "Order_count", "pending_avg"):
        with pytest.raises(KeyError):
            columns.metric(name)


HOSTILE = "x'); DROP TABLE customers; --"


def test_request_strings_and_moments_reach_sql_only_as_bound_parameters() -> None:
    definitions = [
        Definition(f"m_{aggregation}_{window}", HOSTILE, aggregation, f"{HOSTILE}.a", window, True)
        for aggregation in ("count", "sum", "avg", "min", "max", "last")
        for window in (None, 30)
    ]
    columns = customer_columns(uuid4(), definitions, T0, _no_tier)
    names = [d.name for d in definitions] + [
        "zzmarker_count",
        "spend_30d",
        "days_since_last_order",
        "avg_order_value",
    ]
    compiled = (
        sa.select(*(columns.metric(name) for name in names))
        .select_from(customers)
        .compile(dialect=DIALECT)
    )
    sql = str(compiled)
    for derived in (HOSTILE, "DROP", "zzmarker", "m_avg", "2026", "2025"):
        assert derived not in sql
    # The latest value goes by event id in byte order, as in Python, whatever the database's
    # collation (the embedded server's is C already, so the data alone cannot tell).
    assert 'COLLATE "C"' in sql
    values = [str(value) for value in compiled.params.values()]
    assert HOSTILE in values and f"{HOSTILE}.a" in values and "zzmarker" in values


TOTALS = [
    "0",
    "0.00005",
    "-0.00005",
    "0.00015",
    "-0.00015",
    "1.00005",
    "-2.00005",
    "2.49995",
    "0.000049999999999999",
    "0.000050000000000001",
    "-0.000150000000000001",
    "12345678.123456789",
    "0.30000000000000004",
    "99999999999999.99995",
    "7",
    "-7",
]
COUNTS = [1, 2, 3, 4, 7, 10, 16, 10_000]


async def test_half_even_is_decimal_quantize(app: Any) -> None:
    pairs = [(Decimal(total), count) for total in TOTALS for count in COUNTS]
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(
                    *(
                        half_even(sa.literal(total, sa.Numeric()), sa.literal(count, sa.Integer()))
                        for total, count in pairs
                    ),
                    half_even(sa.literal(Decimal(1), sa.Numeric()), sa.literal(0, sa.Integer())),
                )
            )
        ).one()
    for (total, count), actual in zip(pairs, row, strict=False):
        expected = (total / count).quantize(STORED_PLACES, rounding=ROUND_HALF_EVEN)
        assert actual == expected, (total, count, actual, expected)
    assert row[-1] is None
