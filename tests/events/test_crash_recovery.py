"""A server killed (SIGKILL) in the middle of a stream of concurrent events loses no event it
acknowledged, and leaves none half-applied: after a restart every acknowledged event is
stored, every customer's totals are the sum of its stored events, and every replay answers
``duplicate`` (issue 21: a 2xx only after the COMMIT that holds the event)."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from tests.conftest import ROOT, bearer
from tests.tiers.test_tier_lifecycle import VALUE
from tests.worker_processes import _free_port, _wait_ready, server_processes

LOOPS = 16
CUSTOMERS = 50
STREAM_S = 1.5
ACKNOWLEDGED = 150
VIP_FROM = VALUE["tiers"][0]["condition"]["value"]  # spend_365d; every event is recent


@asynccontextmanager
async def killable_server(
    database_url: str, settings: Mapping[str, str]
) -> AsyncIterator[tuple[subprocess.Popen[bytes], str]]:
    """One `tierline serve` process, ready; yields it and its base URL."""
    port = _free_port()
    env = {**os.environ, "TIERLINE_DATABASE_URL": database_url, **settings}
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            await _wait_ready(http, base, process)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        await asyncio.to_thread(process.wait, 30)


def new_event(rng: random.Random, event_id: str, now: datetime) -> dict[str, Any]:
    kind, cents = ("refund", 50_000) if rng.random() < 0.2 else ("order", 250_000)
    return {
        "event_id": event_id,
        "customer_id": f"c{rng.randrange(CUSTOMERS):02d}",
        "type": kind,
        "occurred_at": (now - timedelta(days=rng.randrange(30), minutes=1)).isoformat(),
        "amount": str(Decimal(rng.randrange(100, cents)) / 100),
    }


async def stream_then_kill(
    http: httpx.AsyncClient, base: str, key: str, process: subprocess.Popen[bytes]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``LOOPS`` loops send fresh events until the server is killed, ``STREAM_S`` seconds in
    and ``ACKNOWLEDGED`` events acknowledged at least.
    Returns the events answered 2xx and those that got no answer (at most one a loop)."""
    acknowledged: list[dict[str, Any]] = []
    unanswered: list[dict[str, Any]] = []
    killed = asyncio.Event()
    now = datetime.now(UTC)  # the server runs on the system clock

    async def loop(n: int) -> None:
        rng = random.Random(n)
        sent = 0
        while not killed.is_set():
            sent += 1
            body = new_event(rng, f"l{n}-{sent}", now)
            try:
                response = await http.post(f"{base}/v1/events", json=body, headers=bearer(key))
            except httpx.TransportError:  # the server is gone: the loop ends
                unanswered.append(body)
                return
            assert response.status_code == 201, response.text
            acknowledged.append(body)

    async def kill() -> None:
        started = asyncio.get_running_loop().time()
        await asyncio.sleep(STREAM_S)
        while len(acknowledged) < ACKNOWLEDGED:
            assert asyncio.get_running_loop().time() - started < 30, "the stream is too slow"
            await asyncio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(process.wait, 30)
        killed.set()

    await asyncio.gather(kill(), *(loop(n) for n in range(LOOPS)))
    return acknowledged, unanswered


async def stored(app: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The stored events by id; by customer, its row with its daily roll-ups' totals and its
    tier in the value scheme."""
    async with app.state.engine.connect() as conn:
        events = await conn.execute(
            text("SELECT event_id, customer_id, type, amount, occurred_at FROM events")
        )
        customers = await conn.execute(
            text(
                "SELECT c.customer_id, c.order_count, c.order_total, c.refund_total, "
                "c.event_counts, t.tier, "
                "(SELECT ROW(sum(d.orders), sum(d.order_amount), sum(d.refund_amount)) "
                " FROM customer_days d WHERE d.workspace_id = c.workspace_id "
                " AND d.customer_id = c.customer_id) AS days "
                "FROM customers c LEFT JOIN customer_tiers t "
                "ON t.workspace_id = c.workspace_id AND t.customer_id = c.customer_id "
                "AND t.scheme_key = 'value'"
            )
        )
        return (
            {row.event_id: dict(row._mapping) for row in events},
            {row.customer_id: row for row in customers},
        )


def check_fully_applied(events: dict[str, dict[str, Any]], customers: dict[str, Any]) -> None:
    """Each customer's totals, counts, roll-ups and tier are what its stored events make."""
    mine: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for found in events.values():
        mine[found["customer_id"]].append(found)
    assert set(customers) == set(mine)
    for customer_id, row in customers.items():
        orders = [e["amount"] for e in mine[customer_id] if e["type"] == "order"]
        refunds = [e["amount"] for e in mine[customer_id] if e["type"] == "refund"]
        assert row.order_count == len(orders), customer_id
        assert row.order_total == sum(orders, Decimal(0)), customer_id
        assert row.refund_total == sum(refunds, Decimal(0)), customer_id
        counts = Counter(e["type"] for e in mine[customer_id])
        assert row.event_counts == dict(counts), customer_id
        day_orders, day_orders_total, day_refunds_total = (
            int(row.days[0] or 0),
            Decimal(row.days[1] or 0),
            Decimal(row.days[2] or 0),
        )
        assert (day_orders, day_orders_total, day_refunds_total) == (
            len(orders),
            sum(orders, Decimal(0)),
            sum(refunds, Decimal(0)),
        ), customer_id
        net = sum(orders, Decimal(0)) - sum(refunds, Decimal(0))
        expected = "vip" if net >= VIP_FROM else "regular" if orders else "potential"
        assert row.tier == expected, customer_id


async def test_sigkill_loses_no_acknowledged_event(app: Any, database_url: str) -> None:
    key = "tl_" + secrets.token_urlsafe(32)
    settings = {
        "TIERLINE_BOOTSTRAP_KEY": key,
        "TIERLINE_BACKGROUND_WORKERS": "false",
        "TIERLINE_LOG_LEVEL": "WARNING",
        "TIERLINE_DB_POOL_SIZE": "8",
    }
    async with (
        killable_server(database_url, settings) as (process, base),
        httpx.AsyncClient(timeout=30) as http,
    ):
        scheme = await http.put(f"{base}/v1/schemes/value", json=VALUE, headers=bearer(key))
        assert scheme.status_code in (200, 201), scheme.text
        acknowledged, unanswered = await stream_then_kill(http, base, key, process)
    assert process.returncode == -signal.SIGKILL

    events, customers = await stored(app)
    missing = [body["event_id"] for body in acknowledged if body["event_id"] not in events]
    assert not missing, f"acknowledged but lost: {missing}"
    check_fully_applied(events, customers)
    stored_before = {body["event_id"] for body in unanswered if body["event_id"] in events}

    # Restarted (two processes, on the same database): every acknowledged event is a
    # duplicate; each unanswered one, replayed through both at once, is stored exactly once.
    async with (
        server_processes(database_url, settings) as bases,
        httpx.AsyncClient(timeout=30) as http,
    ):
        limit = asyncio.Semaphore(LOOPS)

        async def replay(base: str, body: dict[str, Any]) -> httpx.Response:
            async with limit:
                return await http.post(f"{base}/v1/events", json=body, headers=bearer(key))

        replays = await asyncio.gather(
            *(replay(bases[n % 2], body) for n, body in enumerate(acknowledged))
        )
        retried = await asyncio.gather(
            *(replay(base, body) for body in unanswered for base in bases)
        )
    for body, response in zip(acknowledged, replays, strict=True):
        assert response.status_code == 200, (body, response.text)
        assert response.json()["status"] == "duplicate"
    answered: defaultdict[str, list[int]] = defaultdict(list)
    for body, response in zip(
        (body for body in unanswered for _ in range(2)), retried, strict=True
    ):
        answered[body["event_id"]].append(response.status_code)
    for event_id, statuses in answered.items():
        expected = [200, 200] if event_id in stored_before else [200, 201]
        assert sorted(statuses) == expected, event_id

    events, customers = await stored(app)
    assert set(events) == {body["event_id"] for body in acknowledged + unanswered}
    check_fully_applied(events, customers)
