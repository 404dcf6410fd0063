"""Exports: the same customers as search, CSV safe to open in a spreadsheet, memory that does
not grow with the number of rows, and a client that hangs up freeing its connection."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.segments import export, service
from tests.asgi import json_post_scope
from tests.conftest import T0, bearer
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.tiers.test_tier_lifecycle import VALUE, iso, order, put_scheme

HOSTILE = ["=SUM(A1:A9)", "+41 22", "-2+3", "@cmd", "\tx", "\rx", "plain", "a=b"]


async def test_exports_hold_the_segment_members_with_the_chosen_fields(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    for n, note in enumerate(HOSTILE):
        await client.put(
            f"/v1/customers/c{n}",
            json={"traits": {"note": note, "score": -n, "tags": ["a", "=b"]}},
            headers=bearer(admin_key),
        )
        await order(client, admin_key, f"e{n}", f"{2000 * n}.00", T0, f"c{n}")
    await order(client, admin_key, "r", "99.00", T0, "refunded", kind="refund")
    await put_segment(client, admin_key, BIG_SPENDERS)
    await run_until_idle(app.state.engine, clock)
    members = ["c2", "c3", "c4", "c5", "c6", "c7"]

    fields = "customer_id,traits.note,traits.score,traits.tags,metrics.lifetime_spend,tiers.value"
    ndjson = await client.get(
        f"/v1/segments/big/export?format=ndjson&fields={fields}", headers=bearer(admin_key)
    )
    assert ndjson.status_code == 200
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    searched = await client.post(
        "/v1/customers/search",
        json={"condition": BIG_SPENDERS["condition"], "fields": fields.split(",")},
        headers=bearer(admin_key),
    )
    assert lines == searched.json()["items"]
    assert [line["customer_id"] for line in lines] == members
    assert lines[0]["traits"]["note"] == HOSTILE[2]  # NDJSON is data, kept as it is

    csv_export = await client.get(
        f"/v1/segments/big/export?fields={fields}", headers=bearer(admin_key)
    )
    assert csv_export.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv_export.headers["content-disposition"] == 'attachment; filename="big.csv"'
    rows = list(csv.reader(io.StringIO(csv_export.text)))
    assert rows[0] == fields.split(",")
    assert rows[1:] == [
        [f"c{n}", note, str(-n), '["a","=b"]', f"{2000 * n}.00", tier]
        for n, note, tier in [
            (2, "'-2+3", "regular"),
            (3, "'@cmd", "vip"),
            (4, "'\tx", "vip"),
            (5, "'\rx", "vip"),
            (6, "plain", "vip"),
            (7, "a=b", "vip"),
        ]
    ]
    everyone = await client.post(
        "/v1/customers/export",
        json={"fields": ["customer_id", "traits.note", "metrics.lifetime_spend"], "format": "csv"},
        headers=bearer(admin_key),
    )
    rows = list(csv.reader(io.StringIO(everyone.text)))
    notes = {row[0]: row[1] for row in rows[1:]}
    assert notes["c0"] == "'=SUM(A1:A9)"
    assert notes["c1"] == "'+41 22"
    assert rows[-1] == ["refunded", "", "-99.00"]  # a computed number is left as it is


async def test_a_default_csv_export_opens_the_metric_and_tier_groups(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await order(client, admin_key, "e1", "10.00", T0, "a")
    response = await client.post(
        "/v1/customers/export", json={"format": "csv"}, headers=bearer(admin_key)
    )
    header, row = list(csv.reader(io.StringIO(response.text)))
    record = dict(zip(header, row, strict=True))
    assert header[0] == "customer_id"
    assert record["metrics.lifetime_spend"] == "10.00"
    assert record["metrics.last_order_at"] == iso(T0)
    assert record["tiers.value"] == "regular"


async def test_export_refuses_unknown_fields_and_segments(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await put_segment(client, admin_key, BIG_SPENDERS)
    bad_field = await client.get(
        "/v1/segments/big/export?fields=customer_id,metrics.nope", headers=bearer(admin_key)
    )
    assert bad_field.status_code == 422
    assert bad_field.json()["errors"][0]["field"] == "fields.1"
    bad_format = await client.get("/v1/segments/big/export?format=xlsx", headers=bearer(admin_key))
    assert bad_format.status_code == 422
    missing = await client.get("/v1/segments/nope/export", headers=bearer(admin_key))
    assert missing.status_code == 404


async def seed_customers(app: Any, first: int, last: int) -> None:
    """Customers written straight into the table: the export reads them, nothing else."""
    async with app.state.engine.begin() as conn:
        workspace = (await conn.execute(text("SELECT id FROM workspaces LIMIT 1"))).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO customers (workspace_id, customer_id, traits, created_at, updated_at)"
                " SELECT :ws, 'c' || lpad(n::text, 7, '0'),"
                "        jsonb_build_object('note', repeat('x', 40) || n), :now, :now"
                " FROM generate_series(CAST(:first AS int), CAST(:last AS int)) AS n"
            ),
            {"ws": workspace, "first": first, "last": last, "now": T0},
        )


async def peak_while_streaming(app: Any, admin_key: str, clock: FrozenClock) -> tuple[int, int]:
    """Rows streamed and the peak of memory allocated meanwhile."""
    async with app.state.engine.begin() as conn:
        workspace = (await conn.execute(text("SELECT id FROM workspaces LIMIT 1"))).scalar_one()
        query = await service.build_query(
            conn, workspace, clock.now(), "EUR", None, fields=["customer_id", "traits.note"]
        )
    rows = 0
    tracemalloc.start()
    try:
        async with app.state.export_engine.connect() as conn:
            async for chunk in export.stream(conn, query, "ndjson", max_seconds=600):
                rows += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, peak


async def test_memory_stays_flat_however_many_rows_are_exported(
    app: Any, admin_key: str, clock: FrozenClock
) -> None:
    await seed_customers(app, 1, 3_000)
    small_rows, small_peak = await peak_while_streaming(app, admin_key, clock)
    await seed_customers(app, 3_001, 30_000)
    large_rows, large_peak = await peak_while_streaming(app, admin_key, clock)
    assert (small_rows, large_rows) == (3_000, 30_000)
    # Ten times the rows: held in memory, the peak would grow about tenfold.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)


async def test_a_client_hanging_up_mid_export_frees_the_connection_at_once(
    app: Any, admin_key: str
) -> None:
    await seed_customers(app, 1, 30_000)
    scope, body = json_post_scope("/v1/customers/export", {"format": "ndjson"}, admin_key)
    hung_up = asyncio.Event()
    sent_body = False
    chunks = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body" and message.get("body"):
            chunks += 1
            hung_up.set()  # the client reads one chunk and goes away
            await asyncio.sleep(0.01)

    started = datetime.now()
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    assert chunks < 10  # 30,000 rows are 60 chunks: the export stopped early
    assert (datetime.now() - started).total_seconds() < 10
    assert app.state.engine.pool.checkedout() == 0
    assert app.state.export_engine.pool.checkedout() == 0
    async with app.state.engine.connect() as conn:
        running = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
        )
        assert running.scalar_one() == 0
