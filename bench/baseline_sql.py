"""The hand-written side of the segments and single-event benchmarks, in plain SQL.

A minimal FastAPI + asyncpg app, run as its own uvicorn process by ``bench.segments`` and
``bench.single_event``: one pool of ``BASELINE_POOL_SIZE`` connections to
``BASELINE_DATABASE_URL``, no authentication, no validation beyond reading the JSON body, and
for each question the one statement an engineer who knows the schema and its indexes would
write, planned for its own values. ``POST /events`` stores one event as one ``INSERT`` into
``bench_events`` (``EVENTS_TABLE``, created by the benchmark before the app starts). It still
goes over HTTP, so the figures compare Tierline with what the same work costs when nothing
else is in the way.

``POST /events/same-work/{workspace_id}`` is the same-work baseline of the single-event
benchmark (issue 20): per request, in one transaction, the writes Tierline makes for an
event, by hand, on Tierline's own tables, in a workspace of its own (``bench.single_event``
copies Tierline's customers, roll-ups, tiers and members into it). Four round trips: BEGIN,
``SAME_WORK_EVENT`` (the event, ``ON CONFLICT (workspace_id, event_id) DO NOTHING``; the
customer's lifetime totals, which takes the customer's row lock; the day's roll-up), then,
in a statement of its own so that it reads under that lock with a fresh snapshot,
``SAME_WORK_CHANGES`` (one upsert of the ``SAME_WORK_SCHEME`` assignment and one
``tier_history`` row; one insert into or delete from the ``SAME_WORK_SEGMENT`` members and one
``segment_history`` row; one ``webhook_messages`` row with one pending
``webhook_deliveries`` row per enabled endpoint of the workspace; the ``pg_notify`` that
wakes delivery workers), and COMMIT. It writes these rows for every new event, whether or
not anything changed, and decides nothing the way Tierline does: the tier is a fixed rule on
the lifetime totals (``vip`` from ``SAME_WORK_VIP_SPEND`` and ``SAME_WORK_VIP_ORDERS``, else
``regular`` from two orders, else ``occasional``), with no windowed metrics, second scheme,
grace, tenure, overrides or review moments, and the membership simply flips. No
authentication, no validation, no fingerprint comparison on a replay (the fingerprint stored
is the body's SHA-256), no FX, no user metrics, no CLV, and the answer carries the one tier
move, not the customer's profile. Its pool has the same size as the other one but leaves
``plan_cache_mode`` at PostgreSQL's default, so its statements settle on generic plans as
Tierline's per-customer statements do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
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


# --- the same-work baseline (issue 20) ----------------------------------------------------

SAME_WORK_SCHEME = "value"
SAME_WORK_SEGMENT = "active-valued"
SAME_WORK_VIP_SPEND = Decimal(1500)
SAME_WORK_VIP_ORDERS = 5
SAME_WORK_VERSION = 1
"""The scheme and segment version its history rows name (the benchmark saves each once)."""

# The event, the customer's lifetime totals (the row lock, held to the end of the
# transaction) and the day's roll-up; the count is 0 for an event id already stored.
SAME_WORK_EVENT = """
WITH stored AS (
    INSERT INTO events (
        workspace_id, event_id, customer_id, type, occurred_at, amount, currency,
        amount_base, properties, fingerprint, received_at
    )
    SELECT $1, $2, $3, $4, $5, $6, COALESCE($7, w.base_currency), $6, $8::jsonb, $9, $10
    FROM workspaces w WHERE w.id = $1
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING customer_id, type, occurred_at, amount_base
),
amounts AS (
    SELECT s.customer_id, s.type, s.occurred_at,
           CASE WHEN s.type = 'order' THEN 1 ELSE 0 END AS orders,
           CASE WHEN s.type = 'order' THEN COALESCE(s.amount_base, 0) ELSE 0 END AS ordered,
           CASE WHEN s.type = 'refund' THEN COALESCE(s.amount_base, 0) ELSE 0 END AS refunded
    FROM stored s
),
totals AS (
    INSERT INTO customers AS c (
        workspace_id, customer_id, order_count, order_total, refund_total, first_order_at,
        last_order_at, last_event_at, event_counts, created_at, updated_at
    )
    SELECT $1, a.customer_id, a.orders, a.ordered, a.refunded,
           CASE WHEN a.orders = 1 THEN a.occurred_at END,
           CASE WHEN a.orders = 1 THEN a.occurred_at END,
           a.occurred_at, jsonb_build_object(a.type, 1), $10, $10
    FROM amounts a
    ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        order_count = c.order_count + EXCLUDED.order_count,
        order_total = c.order_total + EXCLUDED.order_total,
        refund_total = c.refund_total + EXCLUDED.refund_total,
        first_order_at = LEAST(c.first_order_at, EXCLUDED.first_order_at),
        last_order_at = GREATEST(c.last_order_at, EXCLUDED.last_order_at),
        last_event_at = GREATEST(c.last_event_at, EXCLUDED.last_event_at),
        -- An aggregate, not jsonb_build_object (STABLE), which Citus refuses here.
        event_counts = c.event_counts || (
            SELECT jsonb_object_agg(k, COALESCE((c.event_counts ->> k)::int, 0) + 1)
            FROM (VALUES ($4::text)) AS t(k)
        ),
        updated_at = EXCLUDED.updated_at
    RETURNING c.customer_id
),
day AS (
    INSERT INTO customer_days AS d
        (workspace_id, customer_id, day, orders, order_amount, refund_amount)
    SELECT $1, a.customer_id, CAST(a.occurred_at AT TIME ZONE 'UTC' AS date), a.orders,
           a.ordered, a.refunded
    FROM amounts a WHERE a.type IN ('order', 'refund')
    ON CONFLICT (workspace_id, customer_id, day) DO UPDATE SET
        orders = d.orders + EXCLUDED.orders,
        order_amount = d.order_amount + EXCLUDED.order_amount,
        refund_amount = d.refund_amount + EXCLUDED.refund_amount
)
SELECT count(*) FROM totals
"""

# Under the customer's row lock, with this statement's own snapshot: the tier by the fixed
# rule, its assignment and history row, the membership flipped and its history row, one
# outbox message with a delivery per enabled endpoint, and the wake-up of the workers.
SAME_WORK_CHANGES = """
WITH decided AS (
    SELECT c.customer_id, c.order_total - c.refund_total AS spend, t.tier AS held,
           CASE
               WHEN c.order_total - c.refund_total >= $5 AND c.order_count >= $6 THEN 'vip'
               WHEN c.order_count >= 2 THEN 'regular'
               ELSE 'occasional'
           END AS tier,
           m.customer_id IS NOT NULL AS was_member
    FROM customers c
    LEFT JOIN customer_tiers t
      ON t.workspace_id = c.workspace_id AND t.customer_id = c.customer_id
     AND t.scheme_key = $7
    LEFT JOIN segment_members m
      ON m.workspace_id = c.workspace_id AND m.segment_key = $8
     AND m.customer_id = c.customer_id
    WHERE c.workspace_id = $1 AND c.customer_id = $2
),
assigned AS (
    INSERT INTO customer_tiers AS t (workspace_id, customer_id, scheme_key, tier, version, since)
    SELECT $1, d.customer_id, $7, d.tier, $9, $3 FROM decided d
    ON CONFLICT (workspace_id, customer_id, scheme_key) DO UPDATE SET
        tier = EXCLUDED.tier, version = EXCLUDED.version, since = EXCLUDED.since
),
tier_moved AS (
    INSERT INTO tier_history (
        workspace_id, customer_id, scheme_key, version, from_tier, to_tier, changed_at,
        reason, cause
    )
    SELECT $1, d.customer_id, $7, $9, d.held, d.tier, $3, 'event',
           jsonb_build_object('event_id', $4::text)
    FROM decided d
),
entered AS (
    INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
    SELECT $1, $8, d.customer_id, $3 FROM decided d WHERE NOT d.was_member
),
exited AS (
    DELETE FROM segment_members m USING decided d
    WHERE m.workspace_id = $1 AND m.segment_key = $8 AND m.customer_id = d.customer_id
      AND d.was_member
),
segment_moved AS (
    INSERT INTO segment_history (
        workspace_id, customer_id, segment_key, version, change, changed_at, reason, cause
    )
    SELECT $1, d.customer_id, $8, $9,
           CASE WHEN d.was_member THEN 'exited' ELSE 'entered' END, $3, 'event',
           jsonb_build_object('event_id', $4::text)
    FROM decided d
),
message AS (
    INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
    SELECT $1, gen_random_uuid(), 'customer.tier_changed', d.customer_id,
           jsonb_build_object(
               'customer_id', d.customer_id, 'scheme', $7::text, 'scheme_version', $9::int,
               'from_tier', d.held, 'to_tier', d.tier, 'reason', 'event', 'changed_at', $3,
               'metrics', jsonb_build_object('lifetime_spend', d.spend)
           ),
           $3
    FROM decided d
    RETURNING id
),
queued AS (
    INSERT INTO webhook_deliveries
        (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT $1, m.id, e.id, 'pending', $3, $3
    FROM message m CROSS JOIN webhook_endpoints e
    WHERE e.workspace_id = $1 AND e.enabled
)
SELECT d.held, d.tier, d.was_member, pg_notify('tierline_webhooks', $1::text)
FROM decided d
"""


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query on release (asyncpg still rolls back a transaction left open)."""


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
    # The same-work route's own pool, opened as it is used (the segments benchmark never
    # does), with PostgreSQL's default plan_cache_mode: generic plans after five runs. Its
    # route leaves no session state behind (no SET, LISTEN, cursor or advisory lock, and the
    # transaction always ends), so a released connection is not reset: asyncpg's default
    # reset is one more round trip per request (``pool.execute`` pays it for the bare insert).
    app.state.same_work_pool = await asyncpg.create_pool(
        os.environ[DATABASE_URL_VARIABLE], min_size=0, max_size=size, reset=_keep_session
    )
    try:
        yield
    finally:
        await app.state.same_work_pool.close()
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


@app.post("/events/same-work/{workspace_id}")
async def same_work_event(workspace_id: UUID, request: Request) -> Response:
    raw = await request.body()
    body: dict[str, Any] = json.loads(raw)
    amount = body.get("amount")
    event_id, customer_id, now = body["event_id"], body["customer_id"], datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.same_work_pool
    async with pool.acquire() as conn, conn.transaction():
        created = await conn.fetchval(
            SAME_WORK_EVENT,
            workspace_id,
            event_id,
            customer_id,
            body["type"],
            datetime.fromisoformat(body["occurred_at"]),
            None if amount is None else Decimal(amount),
            body.get("currency"),
            json.dumps(body.get("properties", {})),
            hashlib.sha256(raw).digest(),
            now,
        )
        if not created:
            return _json({"status": "duplicate", "event_id": event_id})
        row = await conn.fetchrow(
            SAME_WORK_CHANGES,
            workspace_id,
            customer_id,
            now,
            event_id,
            SAME_WORK_VIP_SPEND,
            SAME_WORK_VIP_ORDERS,
            SAME_WORK_SCHEME,
            SAME_WORK_SEGMENT,
            SAME_WORK_VERSION,
        )
    if row is None:
        raise LookupError(f"customer {customer_id!r} is not in workspace {workspace_id}")
    change = {"scheme": SAME_WORK_SCHEME, "from_tier": row["held"], "to_tier": row["tier"]}
    return Response(
        json.dumps({"status": "created", "event_id": event_id, "tier_changes": [change]}),
        status_code=201,
        media_type="application/json",
    )
