"""The two engines agree on a real PostgreSQL: the SQL compiled from a condition selects exactly
the customers the Python evaluator accepts, and the SQL next flip equals the Python one.

Hypothesis generates nested conditions and crowds of customers; two grids add every pairing of
look-alike trait values (10, 10.0, "10", true, 1, [10]…) and of timestamps around window
boundaries, which random draws meet only now and then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import midnight
from app.db.engine import create_engine
from app.rules.compile import Columns, compile_condition, compile_next_flip
from app.rules.evaluate import evaluate, next_flip
from app.rules.fields import check, is_event_count
from app.rules.schema import Condition, walk
from tests.rules.strategies import (
    AGES,
    BOUNDARY_DAYS,
    CATALOG,
    TIMES,
    TODAY,
    TRAIT_FAMILIES,
    Person,
    conditions,
    nows,
    people,
)

CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)
TZ = TIMESTAMP(timezone=True)

facts_metadata = sa.MetaData()
FACTS = sa.Table(
    "customer_facts",
    facts_metadata,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("spend_365d", sa.Numeric, nullable=False),
    sa.Column("lifetime_spend", sa.Numeric, nullable=False),
    sa.Column("avg_order_value", sa.Numeric),
    sa.Column("order_count", sa.Integer, nullable=False),
    sa.Column("score_avg", sa.Numeric),
    sa.Column("last_order_at", TZ),
    sa.Column("first_order_at", TZ),
    sa.Column("days_since_last_order", sa.Integer),
    sa.Column("event_counts", JSONB, nullable=False),
    sa.Column("traits", JSONB, nullable=False),
    sa.Column("tiers", JSONB, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    prefixes=["TEMPORARY"],
)
_METRIC_COLUMNS = {
    name: FACTS.c[name]
    for name in (
        "spend_365d",
        "lifetime_spend",
        "avg_order_value",
        "order_count",
        "score_avg",
        "last_order_at",
        "first_order_at",
        "days_since_last_order",
    )
}


def _metric(name: str) -> sa.ColumnElement[Any]:
    if name in _METRIC_COLUMNS:
        return _METRIC_COLUMNS[name]
    assert is_event_count(name)
    event_type = name.removesuffix("_count")
    return sa.cast(FACTS.c.event_counts.op("->>")(sa.literal(event_type, sa.Text())), sa.Integer)


COLUMNS = Columns(
    metric=_metric,
    traits=FACTS.c.traits,
    tier=lambda scheme: FACTS.c.tiers.op("->>", return_type=sa.Text)(sa.literal(scheme, sa.Text())),
    created_at=FACTS.c.created_at,
)


@pytest.fixture
async def facts(database_url: str) -> AsyncIterator[AsyncConnection]:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(facts_metadata.create_all)
            yield conn
    finally:
        await engine.dispose()


def _row(index: int, person: Person) -> dict[str, Any]:
    return {
        "customer_id": f"c{index:04d}",
        "spend_365d": person.spend_365d,
        "lifetime_spend": person.lifetime_spend,
        "avg_order_value": person.avg_order_value,
        "order_count": person.order_count,
        "score_avg": person.score_avg,
        "last_order_at": person.last_order_at,
        "first_order_at": person.first_order_at,
        "days_since_last_order": person.days_since_last_order,
        "event_counts": person.event_counts,
        "traits": person.traits,
        "tiers": person.tiers,
        "created_at": person.created_at,
    }


async def _agree(
    conn: AsyncConnection, trees: list[Any], crowd: list[Person], now: datetime
) -> None:
    await conn.execute(sa.delete(FACTS))
    await conn.execute(FACTS.insert(), [_row(i, person) for i, person in enumerate(crowd)])
    # PostgreSQL selects at most 1,664 columns: a few hundred trees per query.
    for start in range(0, len(trees), 300):
        chunk = trees[start : start + 300]
        query = sa.select(
            FACTS.c.customer_id,
            *(compile_condition(c, COLUMNS, now).label(f"holds_{i}") for i, c in enumerate(chunk)),
            *(compile_next_flip(c, COLUMNS, now).label(f"flip_{i}") for i, c in enumerate(chunk)),
        ).order_by(FACTS.c.customer_id)
        rows = (await conn.execute(query)).mappings().all()
        assert len(rows) == len(crowd)
        for row, person in zip(rows, crowd, strict=True):
            customer = person.view()
            for i, condition in enumerate(chunk):
                shown = CONDITION.dump_python(condition, mode="json")
                assert row[f"holds_{i}"] is evaluate(condition, customer, now), (shown, customer)
                assert row[f"flip_{i}"] == next_flip(condition, customer, now), (shown, customer)


@settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    deadline=None,
)
@given(
    raw_conditions=st.lists(conditions, min_size=3, max_size=6),
    crowd=st.lists(people, min_size=15, max_size=40),
    now=nows,
)
async def test_sql_selects_exactly_the_customers_python_accepts(
    facts: AsyncConnection,
    raw_conditions: list[dict[str, Any]],
    crowd: list[Person],
    now: datetime,
) -> None:
    parsed = [CONDITION.validate_python(raw) for raw in raw_conditions]
    for condition in parsed:
        assert check(condition, CATALOG) == []
    # Every comparison on its own too: a difference in one leaf may not show through its tree.
    trees = parsed + [comparison for condition in parsed for _, comparison in walk(condition)]
    await _agree(facts, trees, crowd, now)


def _person(**changes: Any) -> Person:
    base: dict[str, Any] = {
        "spend_365d": Decimal("100.00"),
        "lifetime_spend": Decimal("100.00"),
        "avg_order_value": None,
        "order_count": 1,
        "score_avg": None,
        "last_order_at": None,
        "first_order_at": None,
        "event_counts": {},
        "traits": {},
        "tiers": {},
        "created_at": midnight(TODAY),
    }
    return Person(**{**base, **changes})


_MISSING = object()
TRAIT_GRID = [
    _MISSING,
    *(value for family in TRAIT_FAMILIES for value in family),
    [],
    [10],
    ["10", "EU"],
    [[10]],
    [10.0, True],
    {},
    {"v": 10},
]
TRAIT_OPERANDS = sorted(
    {repr(v): v for family in TRAIT_FAMILIES for v in family if v not in (None, "")}.values(),
    key=repr,
)
TRAIT_NUMBERS = [
    v for v in TRAIT_OPERANDS if isinstance(v, int | float) and not isinstance(v, bool)
]


def _trait_grid_conditions() -> list[dict[str, Any]]:
    raws: list[dict[str, Any]] = []
    for field in ("traits.v", "traits.n.v"):
        raws += [{"field": field, "op": "exists", "value": flag} for flag in (True, False)]
        for operand in TRAIT_OPERANDS:
            for op in ("eq", "ne", "contains"):
                raws.append({"field": field, "op": op, "value": operand})
            for op in ("in", "not_in"):
                raws.append({"field": field, "op": op, "value": [operand, "EU"]})
        for number in TRAIT_NUMBERS:
            for op in ("gt", "gte", "lt", "lte"):
                raws.append({"field": field, "op": op, "value": number})
            raws.append({"field": field, "op": "between", "value": [number, 10]})
    return [r for r in raws if r["op"] != "between" or _decimal(r["value"][0]) <= 10]


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@pytest.mark.parametrize("now", [midnight(TODAY), midnight(TODAY) + TIMES[-1]])
async def test_engines_agree_on_every_pairing_of_look_alike_traits(
    facts: AsyncConnection, now: datetime
) -> None:
    crowd = [
        _person(traits={} if value is _MISSING else {"v": value, "n": {"v": value}})
        for value in TRAIT_GRID
    ]
    trees = [CONDITION.validate_python(raw) for raw in _trait_grid_conditions()]
    await _agree(facts, trees, crowd, now)


def _time_grid_conditions() -> list[dict[str, Any]]:
    raws: list[dict[str, Any]] = []
    for field in ("metrics.last_order_at", "customer.created_at"):
        for age in AGES:
            for op in ("within_days", "older_than_days"):
                raws.append({"field": field, "op": op, "value": age})
        boundary = (midnight(TODAY) - timedelta(days=29)).isoformat()
        for op in ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in"):
            value = [boundary] if op in ("in", "not_in") else boundary
            raws.append({"field": field, "op": op, "value": value})
    for threshold in (0, 1, 29, 29.5, 30, 31, 365):
        for op in ("eq", "ne", "gt", "gte", "lt", "lte"):
            raws.append({"field": "metrics.days_since_last_order", "op": op, "value": threshold})
        for op in ("in", "not_in"):
            raws.append(
                {"field": "metrics.days_since_last_order", "op": op, "value": [threshold, 7]}
            )
        raws.append(
            {"field": "metrics.days_since_last_order", "op": "between", "value": [0, threshold]}
        )
    return raws


@pytest.mark.parametrize("now", [midnight(TODAY) + t for t in TIMES])
async def test_engines_agree_around_every_day_boundary(
    facts: AsyncConnection, now: datetime
) -> None:
    moments = [midnight(TODAY + timedelta(days=day)) + t for day in BOUNDARY_DAYS for t in TIMES]
    crowd = [_person(last_order_at=m, created_at=m) for m in moments]
    crowd.append(_person(last_order_at=None))
    trees = [CONDITION.validate_python(raw) for raw in _time_grid_conditions()]
    await _agree(facts, trees, crowd, now)
