"""The hand-written side of the segments and single-event benchmarks, in plain SQL.

A minimal FastAPI + asyncpg app, run as its own uvicorn process by ``bench.segments`` and
``bench.single_event``: one pool of ``BASELINE_POOL_SIZE`` connections to
``BASELINE_DATABASE_URL``, no authentication, no validation beyond reading the JSON body, and
for each question the one statement an engineer who knows the schema and its indexes would
write, planned for its own values. ``POST /events`` stores one event as one ``INSERT`` into
``bench_events`` (``EVENTS_TABLE``, created by the benchmark before the app starts). It still
goes over HTTP, so the figures compare Tierline with what the same work costs when nothing
else is in the way.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import FastAPI, Request, Response

DATABASE_URL_VARIABLE = "BASELINE_DATABASE_URL"
POOL_SIZE_VARIABLE = "BASELINE_POOL_SIZE"

COUNT_BY_TIER = """
SELECT count(*) FROM customer_tiers
WHERE workspace_id = $1 AND scheme_key = $2 AND tier = $3
"""
COUNT_BY_SPEND = """
SELECT count(*) FROM customers
WHERE workspace_id = $1 AND order_total - refund_total BETWEEN $2 AND $3
"""
# The GIN (jsonb_path_ops) index on traits answers containment.
COUNT_BY_TRAITS = """
SELECT count(*) FROM customers
WHERE workspace_id = $1 AND traits @> $2::jsonb
"""
TOP_SPENDERS = """
SELECT customer_id, order_total - refund_total AS spend FROM customers
WHERE workspace_id = $1 AND traits @> $2::jsonb
ORDER BY order_total - refund_total DESC, customer_id
LIMIT $3
"""

# The columns an event has in Tierline's ``events`` table, without the workspace (there is
# one) and the fingerprint and sequence (Tierline's own bookkeeping); a bare primary key.
EVENTS_TABLE = """
CREATE TABLE bench_events (
    event_id text PRIMARY KEY,
    customer_id text NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    amount numeric,
    currency char(3),
    properties jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT_EVENT = """
INSERT INTO bench_events (event_id, customer_id, type, occurred_at, amount, currency, properties)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ[POOL_SIZE_VARIABLE])
    # Every statement is planned for its own values. Left to PostgreSQL, a prepared statement
    # switches to a generic plan after five runs on a connection, and the generic plan guesses
    # a trait containment matches 0.5% of the rows, not the 12% it does, and runs serially;
    # which plan the baseline got would then depend on how many requests each pooled
    # connection had served so far.
    pool = await asyncpg.create_pool(
        os.environ[DATABASE_URL_VARIABLE],
        min_size=size,
        max_size=size,
        server_settings={"plan_cache_mode": "force_custom_plan"},
    )
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None)


async def _body(request: Request) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(await request.body())
    return body


def _json(document: dict[str, Any]) -> Response:
    return Response(json.dumps(document), media_type="application/json")


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def _count(request: Request, query: str, *args: Any) -> Response:
    # fetch, not fetchval: fetchval asks for one row at a time, and PostgreSQL never runs
    # a query in parallel when it may be suspended after a few rows.
    rows = await _pool(request).fetch(query, *args)
    return _json({"count": rows[0][0]})


@app.get("/ready")
async def ready(request: Request) -> Response:
    await _pool(request).fetchval("SELECT 1")
    return _json({"ready": True})


@app.post("/count/tier")
async def count_by_tier(request: Request) -> Response:
    body = await _body(request)
    return await _count(
        request, COUNT_BY_TIER, UUID(body["workspace_id"]), body["scheme"], body["tier"]
    )


@app.post("/count/spend")
async def count_by_spend(request: Request) -> Response:
    body = await _body(request)
    return await _count(
        request,
        COUNT_BY_SPEND,
        UUID(body["workspace_id"]),
        Decimal(body["low"]),
        Decimal(body["high"]),
    )


@app.post("/count/traits")
async def count_by_traits(request: Request) -> Response:
    body = await _body(request)
    return await _count(
        request, COUNT_BY_TRAITS, UUID(body["workspace_id"]), json.dumps(body["traits"])
    )


@app.post("/search/top-spenders")
async def top_spenders(request: Request) -> Response:
    body = await _body(request)
    rows = await _pool(request).fetch(
        TOP_SPENDERS, UUID(body["workspace_id"]), json.dumps(body["traits"]), body["limit"]
    )
    items = [{"customer_id": row["customer_id"], "spend": str(row["spend"])} for row in rows]
    return _json({"items": items})


@app.post("/events")
async def insert_event(request: Request) -> Response:
    body = await _body(request)
    amount = body.get("amount")
    await _pool(request).execute(
        INSERT_EVENT,
        body["event_id"],
        body["customer_id"],
        body["type"],
        datetime.fromisoformat(body["occurred_at"]),
        None if amount is None else Decimal(amount),
        body.get("currency"),
        json.dumps(body.get("properties", {})),
    )
    return Response(
        json.dumps({"status": "created", "event_id": body["event_id"]}),
        status_code=201,
        media_type="application/json",
    )
