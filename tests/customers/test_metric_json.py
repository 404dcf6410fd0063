"""``metric_json`` (a metric as a payload built in SQL shows it) equals ``metric_value``
serialised by ``to_jsonable_python`` (as the Python engine's payloads show it), for every
kind, on values at the edges of their formatting, money in base currencies of 2, 0 and 3
minor units."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic_core import to_jsonable_python

from app.customers.columns import metric_json, metric_value
from app.rules.fields import MetricKind

NUMBERS = (
    "0",
    "0.00",
    "0.0000",
    "1",
    "-5",
    "139.9",
    "139.90",
    "100.000",
    "0.2500",
    "1.2345",
    "12345678.9",
    "1578.5",
    "12.345",
)
CURRENCIES = ("EUR", "JPY", "KWD")
MOMENTS = (
    datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 20, 12, 0, 5, 120_000, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC),
)
NUMERIC, INTEGER, MOMENT = sa.Numeric(), sa.Integer(), sa.DateTime(timezone=True)
CASES: list[tuple[MetricKind | None, Any, sa.types.TypeEngine[Any], str]] = [
    *(("money", Decimal(n), NUMERIC, currency) for n in NUMBERS for currency in CURRENCIES),
    *((kind, Decimal(n), NUMERIC, "EUR") for kind in ("number", None) for n in NUMBERS),
    *(("count", Decimal(n), NUMERIC, "EUR") for n in ("0", "7", "12.0")),
    ("count", 42, INTEGER, "EUR"),
    *(("timestamp", moment, MOMENT, "EUR") for moment in MOMENTS),
    ("money", None, NUMERIC, "EUR"),
    ("timestamp", None, MOMENT, "EUR"),
]


@pytest.mark.parametrize(("kind", "value", "sql_type", "currency"), CASES)
async def test_a_metric_in_sql_json_equals_the_python_one(
    app: Any,
    kind: MetricKind | None,
    value: Any,
    sql_type: sa.types.TypeEngine[Any],
    currency: str,
) -> None:
    typed = sa.cast(sa.bindparam("value", value, type_=sql_type), sql_type)
    async with app.state.engine.connect() as conn:
        shown = (await conn.execute(sa.select(metric_json(kind, typed, currency)))).scalar_one()
    assert shown == to_jsonable_python(metric_value(kind, value, currency))
