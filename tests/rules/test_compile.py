"""The SQL engine: bound parameters only, and usable over the real customers table with
windowed metrics from the daily roll-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.dialects import postgresql

from app.classification import profile
from app.clock import FrozenClock
from app.customers.catalog import field_catalog
from app.customers.columns import customer_columns
from app.db.tables import customers, workspaces
from app.rules.compile import Columns, compile_condition, compile_next_flip
from app.rules.evaluate import evaluate, next_flip
from app.rules.fields import check
from app.rules.schema import Condition
from tests.conftest import T0, bearer

CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)
HOSTILE = "x'); DROP TABLE customers; --"
DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def _columns_over(table: sa.TableClause) -> Columns:
    return Columns(
        metric=lambda name: table.c[name],
        traits=table.c.traits,
        tier=lambda scheme: table.c.tiers.op("->>", return_type=sa.Text)(
            sa.literal(scheme, sa.Text())
        ),
        created_at=table.c.created_at,
    )


def test_request_strings_reach_sql_only_as_bound_parameters() -> None:
    table = sa.table(
        "facts",
        sa.column("spend", sa.Numeric),
        sa.column("traits", postgresql.JSONB),
        sa.column("tiers", postgresql.JSONB),
        sa.column("created_at", postgresql.TIMESTAMP(timezone=True)),
    )
    raw = {
        "any": [
            {"field": f"traits.{HOSTILE}.a", "op": "eq", "value": HOSTILE},
            {"field": "traits.a", "op": "contains", "value": HOSTILE},
            {"field": "traits.a", "op": "in", "value": [HOSTILE, 1]},
            {"field": "tiers.value", "op": "not_in", "value": [HOSTILE]},
            {"field": "metrics.spend", "op": "gte", "value": "5000.00"},
            {"field": "customer.created_at", "op": "within_days", "value": 30},
        ]
    }
    condition = CONDITION.validate_python(raw)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    for expr in (
        compile_condition(condition, _columns_over(table), now),
        compile_next_flip(condition, _columns_over(table), now),
    ):
        compiled = sa.select(expr).compile(dialect=DIALECT)
        assert "DROP" not in str(compiled)
        assert "5000" not in str(compiled)
    compiled = sa.select(compile_condition(condition, _columns_over(table), now)).compile(
        dialect=DIALECT
    )
    assert any(HOSTILE in str(value) for value in compiled.params.values())


CONDITIONS = [
    {"field": "metrics.spend_30d", "op": "gte", "value": "100.00"},
    {"field": "metrics.spend_365d", "op": "between", "value": [100, "1000"]},
    {"field": "metrics.lifetime_spend", "op": "gt", "value": 500},
    {"field": "metrics.order_count", "op": "eq", "value": 0},
    {"field": "metrics.visit_count", "op": "gte", "value": 1},
    {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
    {"field": "metrics.last_order_at", "op": "older_than_days", "value": 90},
    {"field": "metrics.days_since_last_order", "op": "gte", "value": 60},
    {"field": "traits.industry", "op": "eq", "value": "machinery"},
    {"field": "traits.employees", "op": "gte", "value": 100},
    {"field": "traits.tags", "op": "contains", "value": "wholesale"},
    {"field": "tiers.value", "op": "ne", "value": "vip"},
    {
        "all": [
            {"field": "metrics.spend_365d", "op": "gte", "value": 1000},
            {"not": {"field": "traits.region", "op": "in", "value": ["north", "east"]}},
        ]
    },
]


async def _post(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> None:
    response = await client.post("/v1/events", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text


async def test_compiled_conditions_select_over_the_customers_table_as_python_decides(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    histories: dict[str, tuple[dict[str, Any], list[tuple[str, int, str | None]]]] = {
        "c-big": (
            {"industry": "machinery", "employees": 250, "region": "south"},
            [("order", 3, "900.00"), ("order", 200, "600.00"), ("visit", 1, None)],
        ),
        "c-lapsed": (
            {"industry": "retail", "tags": ["wholesale", "b2b"], "employees": "120"},
            [("order", 95, "150.00"), ("refund", 40, "20.00")],
        ),
        "c-new": ({"region": "north", "employees": 100.0}, [("visit", 0, None)]),
        "c-window": ({"tags": "wholesale"}, [("order", 29, "100.00"), ("order", 30, "5.00")]),
    }
    for customer_id, (traits, events) in histories.items():
        response = await client.put(
            f"/v1/customers/{customer_id}", json={"traits": traits}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
        for n, (kind, days_ago, amount) in enumerate(events):
            await _post(
                client,
                admin_key,
                {
                    "event_id": f"{customer_id}-{n}",
                    "customer_id": customer_id,
                    "type": kind,
                    "occurred_at": (T0 - timedelta(days=days_ago)).isoformat(),
                    "amount": amount,
                    "currency": "EUR" if amount else None,
                },
            )

    catalog = field_catalog(scheme_tiers={"value": ["vip", "regular"]})
    parsed = [CONDITION.validate_python(raw) for raw in CONDITIONS]
    assert all(check(condition, catalog) == [] for condition in parsed)
    for now in (T0, T0 + timedelta(days=1), T0 + timedelta(days=65)):
        clock.set(now)
        async with app.state.engine.connect() as conn:
            workspace_id: UUID = (
                await conn.execute(sa.select(workspaces.c.id).where(workspaces.c.slug == "default"))
            ).scalar_one()
            columns = customer_columns(workspace_id, [], now, lambda scheme: sa.null())
            views = {
                customer_id: await profile.describe(conn, workspace_id, customer_id, now, "EUR")
                for customer_id in histories
            }
            for condition, raw in zip(parsed, CONDITIONS, strict=True):
                holds = compile_condition(condition, columns, now)
                selected = set(
                    (
                        await conn.execute(
                            sa.select(customers.c.customer_id).where(
                                customers.c.workspace_id == workspace_id, holds
                            )
                        )
                    ).scalars()
                )
                expected = {cid for cid, view in views.items() if evaluate(condition, view, now)}
                assert selected == expected, (raw, now)
                flips = await conn.execute(
                    sa.select(
                        customers.c.customer_id, compile_next_flip(condition, columns, now)
                    ).where(customers.c.workspace_id == workspace_id)
                )
                for customer_id, flip in flips:
                    assert flip == next_flip(condition, views[customer_id], now), (raw, now)
