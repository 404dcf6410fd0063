"""Customer queries are bounded: a condition's cost is checked before it runs, a query runs no
longer than its timeout, and a query whose client goes away is cancelled (issue 22)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

from app.clock import FrozenClock
from app.customers.columns import WINDOWED_BUILTINS
from app.rules.schema import Condition
from app.segments import service
from app.segments.query import MAX_COMPUTED_METRICS, search_statement
from app.settings import Settings
from tests.asgi import json_post_scope
from tests.conftest import T0, bearer

TIMEOUT_S = 1.0
CUSTOMERS = 100_000  # a costly count over them takes 3 s or more
CONDITION: TypeAdapter[Any] = TypeAdapter(Condition)


@pytest.fixture
def query_timeout() -> float:
    return TIMEOUT_S


@pytest.fixture
def settings(database_url: str, query_timeout: float) -> Settings:
    return Settings(
        database_url=database_url, query_statement_timeout=query_timeout, background_workers=False
    )


async def seed(app: Any, customers: int) -> None:
    """Customers with a few days of orders each, written straight into the tables."""
    async with app.state.engine.begin() as conn:
        workspace = (await conn.execute(text("SELECT id FROM workspaces LIMIT 1"))).scalar_one()
        values = {"ws": workspace, "n": customers, "now": T0}
        await conn.execute(
            text(
                "INSERT INTO customers (workspace_id, customer_id, traits, created_at, updated_at)"
                " SELECT :ws, 'c' || n, '{}', :now, :now"
                " FROM generate_series(1, CAST(:n AS int)) AS n"
            ),
            values,
        )
        await conn.execute(
            text(
                "INSERT INTO customer_days (workspace_id, customer_id, day, orders, order_amount)"
                " SELECT :ws, 'c' || n, CAST(:now AS date) - d * 40, 1, n % 500"
                " FROM generate_series(1, CAST(:n AS int)) AS n, generate_series(0, 8) AS d"
            ),
            values,
        )
        await conn.execute(text("ANALYZE customers"))
        await conn.execute(text("ANALYZE customer_days"))


def costly(comparisons: int) -> dict[str, Any]:
    """``any`` of many comparisons over every windowed metric: none holds, so each customer's
    every window is read."""
    metrics = sorted(WINDOWED_BUILTINS)
    return {
        "any": [
            {"field": f"metrics.{metrics[i % len(metrics)]}", "op": "lt", "value": -1 - i}
            for i in range(comparisons)
        ]
    }


async def test_each_metric_is_computed_once_however_often_the_condition_reads_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(app, 500)
    # 600 comparisons over the six windows, and one that holds for some customers.
    holds_for_some = {"field": "metrics.spend_30d", "op": "gte", "value": 450}
    condition = {"any": [*costly(600)["any"], holds_for_some]}
    async with app.state.engine.connect() as conn:
        workspace = (await conn.execute(text("SELECT id FROM workspaces LIMIT 1"))).scalar_one()
        built = await service.build_query(
            conn, workspace, clock.now(), "EUR", CONDITION.validate_python(condition)
        )
    statement = str(search_statement(built, None, 10).compile(dialect=app.state.engine.dialect))
    # Each window summed once per customer, not once per comparison; the items' metrics
    # read the same sums.
    assert statement.count("FROM customer_days") == len(WINDOWED_BUILTINS)

    response = await client.post(
        "/v1/customers/count", json={"condition": condition}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    # spend_30d is today's order: n % 500 for customer n, 450 or more for n % 500 >= 450.
    assert response.json()["count"] == 50


# Refused before anything runs, so no time limit is at stake: the module's one-second limit
# only made a loaded machine's slow statement a 503 here.
@pytest.mark.parametrize("query_timeout", [60.0])
async def test_a_query_reading_too_many_computed_metrics_is_refused_before_it_runs(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    extra = MAX_COMPUTED_METRICS + 1 - len(WINDOWED_BUILTINS)
    for n in range(extra):
        created = await client.put(
            f"/v1/metrics/visits_{n}",
            json={"event_type": "visit", "aggregation": "count", "window_days": 30},
            headers=bearer(admin_key),
        )
        assert created.status_code in (200, 201), created.text
    names = [*sorted(WINDOWED_BUILTINS), *(f"visits_{n}" for n in range(extra))]
    condition = {"any": [{"field": f"metrics.{name}", "op": "gt", "value": 1} for name in names]}
    response = await client.post(
        "/v1/customers/count", json={"condition": condition}, headers=bearer(admin_key)
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["errors"][0]["code"] == "too_costly"
    assert f"at most {MAX_COMPUTED_METRICS}" in problem["errors"][0]["message"]
    # One fewer is answered.
    fewer = {"any": condition["any"][:-1]}
    response = await client.post(
        "/v1/customers/count", json={"condition": fewer}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text


async def running_queries(app: Any) -> int:
    async with app.state.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state = 'active' "
                "AND backend_type = 'client backend'"  # not autovacuum, after the seeding
            )
        )
        return int(found.scalar_one())


async def test_a_query_past_its_timeout_is_stopped_with_a_problem(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await seed(app, CUSTOMERS)
    started = time.monotonic()
    response = await client.post(
        "/v1/customers/count", json={"condition": costly(6)}, headers=bearer(admin_key)
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(":query-timeout")
    assert "Retry-After" in response.headers
    assert time.monotonic() - started < TIMEOUT_S + 2
    assert await running_queries(app) == 0


@pytest.mark.parametrize("query_timeout", [60.0])  # no timeout ends it
async def test_a_count_abandoned_by_its_client_leaves_no_backend_running(
    app: Any, admin_key: str
) -> None:
    await seed(app, CUSTOMERS)
    scope, body = json_post_scope("/v1/customers/count", {"condition": costly(6)}, admin_key)
    sent_body = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(0.5)  # the client hangs up half a second in
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    started = time.monotonic()
    await asyncio.wait_for(app(scope, receive, send), timeout=10)
    assert sent == []  # nobody to answer
    # Within a second of the hang-up, no backend runs the count (uncancelled, it runs 3 s).
    await asyncio.sleep(max(0.0, started + 1.5 - time.monotonic()))
    assert await running_queries(app) == 0
    assert app.state.query_engine.pool.checkedout() == 0
