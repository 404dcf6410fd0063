"""Webhook delivery: tier changes delivered per second to a local receiver, and the delay from
an event's commit to its delivery, against a bare httpx loop posting the same payloads.

``tierline serve`` runs with the production settings (the delivery worker inside it) and
``TIERLINE_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8`` so it may reach the receiver
(``bench.receiver``, a process of its own that answers 204 and notes each arrival). The scheme
``value`` gives every new customer a tier, so each first order is one tier change, one message
and one delivery to the one subscribed endpoint.

- Delay: new customers' first orders, ``LATENCY_CONCURRENCY`` at a time; each delay runs from
  the moment the 201 came back (the commit was before it) to the arrival at the receiver.
- Throughput: with the endpoint disabled, ``BACKLOG`` deliveries are queued (with SQL: copies
  of a real message); then it is enabled and the time until the last one arrives is taken.
  The baseline posts the same bodies to the same receiver from one process, as many at a time
  as Tierline sends to one endpoint (``TIERLINE_WEBHOOK_ENDPOINT_CONCURRENCY``, default 4).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from app.db.url import asyncpg_dsn
from app.settings import Settings
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import HOST, ROOT, free_port, running_service, stop_process, wait_for_job
from bench.stats import percentile, summary_ms

LATENCY_EVENTS = 1_000
LATENCY_CONCURRENCY = 4
BACKLOG = 10_000
DELAY_TARGET_MS = 50.0
THROUGHPUT_TARGET = 2.0
"""Seconds per delivery at most twice the bare loop's: at least half its deliveries/s."""
ARRIVAL_TIMEOUT_S = 600.0
JOB_TIMEOUT_S = 60.0
"""The scheme saved on an empty workspace: its job has nothing to do."""

SCHEME = {
    "name": "Customer value",
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "condition": {"field": "metrics.lifetime_spend", "op": "gte", "value": 1000},
        }
    ],
    "default_tier": "regular",
}


def _progress(message: str) -> None:
    print(f"bench webhooks: {message}", file=sys.stderr, flush=True)


def _order(customer_id: str) -> dict[str, Any]:
    return {
        "event_id": f"o-{customer_id}",
        "customer_id": customer_id,
        "type": "order",
        "occurred_at": datetime.now(UTC).isoformat(),
        "amount": "1500.00",
    }


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/hook"
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Receiver:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.receiver",
            str(self.port),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        if b"ready" not in line:
            raise BenchError("the benchmark's webhook receiver did not start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await stop_process(self.process)

    async def arrivals(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await client.get(f"http://{HOST}:{self.port}/arrivals")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    async def wait_for(self, client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
        """Collects arrivals until ``count`` have come."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + ARRIVAL_TIMEOUT_S
        while len(seen) < count:
            if time.monotonic() > deadline:
                raise BenchError(f"only {len(seen)} of {count} webhooks arrived in time")
            seen += await self.arrivals(client)
            await asyncio.sleep(0.05)
        return seen


async def _ok(response: httpx.Response, *expected: int) -> Any:
    if response.status_code not in expected:
        raise BenchError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json() if response.content else None


async def measure_delays(
    client: httpx.AsyncClient, receiver: Receiver, plain: httpx.AsyncClient, count: int
) -> list[float]:
    committed: dict[str, float] = {}
    queue = [f"lat-{n}" for n in range(count)]

    async def sender() -> None:
        while queue:
            customer_id = queue.pop()
            await _ok(await client.post("/v1/events", json=_order(customer_id)), 201)
            committed[customer_id] = time.time()

    await asyncio.gather(*(sender() for _ in range(LATENCY_CONCURRENCY)))
    arrivals = await receiver.wait_for(plain, count)
    return [a["at"] - committed[a["customer_id"]] for a in arrivals]


_BACKLOG = """
WITH model AS (
    SELECT workspace_id, type, data FROM webhook_messages ORDER BY seq DESC LIMIT 1
),
messages AS (
    INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
    SELECT m.workspace_id, gen_random_uuid(), m.type, 'tp-' || n,
           jsonb_set(m.data, '{customer_id}', to_jsonb('tp-' || n)), now()
    FROM model m, generate_series(1, $1) AS n
    RETURNING workspace_id, id
)
INSERT INTO webhook_deliveries
    (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
SELECT workspace_id, id, $2, 'pending', now(), now() FROM messages
"""


async def measure_backlog(
    client: httpx.AsyncClient,
    receiver: Receiver,
    plain: httpx.AsyncClient,
    database_url: str,
    endpoint_id: str,
    count: int,
) -> tuple[float, int]:
    """Seconds from enabling the endpoint to the last of ``count`` queued deliveries. The
    backlog is written with SQL while the endpoint is disabled (a disabled endpoint gets no
    new messages), each a copy of the last real message for a customer of its own."""
    path = f"/v1/webhooks/endpoints/{endpoint_id}"
    await _ok(await client.patch(path, json={"enabled": False}), 200)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(_BACKLOG, count, UUID(endpoint_id))
    finally:
        await conn.close()
    _progress(f"{count:,} deliveries queued; enabling the endpoint")
    started = time.time()
    await _ok(await client.patch(path, json={"enabled": True}), 200)
    arrivals = await receiver.wait_for(plain, count)
    return max(a["at"] for a in arrivals) - started, len({a["id"] for a in arrivals})


async def bare_loop(receiver: Receiver, bodies: list[bytes], concurrency: int) -> float:
    """Seconds for a bare httpx client to post ``bodies`` to the receiver, ``concurrency`` at
    a time: the most a delivery loop could do here."""
    pending = list(reversed(bodies))
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=30) as http:

        async def poster() -> None:
            while pending:
                body = pending.pop()
                response = await http.post(
                    receiver.url,
                    content=body,
                    headers={"content-type": "application/json", "webhook-id": "bare"},
                )
                response.raise_for_status()

        started = time.time()
        await asyncio.gather(*(poster() for _ in range(concurrency)))
        return time.time() - started


async def sample_bodies(client: httpx.AsyncClient, count: int) -> list[bytes]:
    """Bodies of the shape Tierline sent, for the baseline to post."""
    page = await _ok(await client.get("/v1/webhooks/messages", params={"limit": 1}), 200)
    body = json.dumps(page["items"][0]["payload"], separators=(",", ":")).encode()
    return [body] * count


async def run(context: Context, result: BenchmarkResult) -> None:
    latency_events = context.scaled(LATENCY_EVENTS, minimum=50)
    backlog = context.scaled(BACKLOG, minimum=200)
    concurrency = Settings().webhook_endpoint_concurrency
    result.details["parameters"] = {
        "latency_events": latency_events,
        "latency_concurrency": LATENCY_CONCURRENCY,
        "backlog": backlog,
        "endpoint_concurrency": concurrency,
    }
    allow = {"TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    async with (
        Receiver() as receiver,
        running_service(context.database_server, allow) as service,
        service.client() as client,
        httpx.AsyncClient(trust_env=False, timeout=30) as plain,
    ):
        saved = await _ok(await client.put("/v1/schemes/value", json=SCHEME), 200, 201)
        await wait_for_job(client, saved["job_id"], JOB_TIMEOUT_S)
        endpoint = await _ok(
            await client.post(
                "/v1/webhooks/endpoints",
                json={"url": receiver.url, "event_types": ["customer.tier_changed"]},
            ),
            201,
        )
        _progress(f"measuring the delay over {latency_events:,} tier changes")
        delays = await measure_delays(client, receiver, plain, latency_events)
        _progress(f"measuring throughput over a backlog of {backlog:,}")
        seconds, distinct = await measure_backlog(
            client, receiver, plain, service.database_url, endpoint["id"], backlog
        )
        bodies = await sample_bodies(client, backlog)
    async with Receiver() as receiver:
        bare_seconds = await bare_loop(receiver, bodies, concurrency)

    if distinct != backlog:
        raise BenchError(f"{backlog} messages queued but {distinct} distinct ones arrived")
    delay = summary_ms(delays)
    p99_ms = round(percentile(delays, 0.99) * 1000, 3)
    result.figures += [
        Figure(
            name="webhook_throughput",
            label=f"time per delivery, backlog of {backlog:,}, vs bare httpx loop",
            unit="ms",
            measured=round(seconds / backlog * 1000, 4),
            baseline=round(bare_seconds / backlog * 1000, 4),
            target=THROUGHPUT_TARGET,
            measured_detail={"deliveries_per_second": round(backlog / seconds, 1)},
            baseline_detail={"posts_per_second": round(backlog / bare_seconds, 1)},
        ),
        Figure(
            name="webhook_delay_p50",
            label="commit-to-delivery delay p50 (baseline: 50 ms target)",
            unit="ms",
            measured=delay["median_ms"],
            baseline=DELAY_TARGET_MS,
            target=1.0,
            measured_detail={**delay, "p99_ms": p99_ms},
        ),
    ]
    result.details["delay_ms"] = {**delay, "p99_ms": p99_ms}
    result.notes.append(
        f"{backlog / seconds:,.0f} deliveries/s against the bare loop's "
        f"{backlog / bare_seconds:,.0f} posts/s; delay p50 {delay['median_ms']:.1f} ms, "
        f"p99 {p99_ms:.1f} ms (mean {statistics.mean(delays) * 1000:.1f} ms)"
    )


BENCHMARK = Benchmark(
    name="webhooks",
    title="Webhook deliveries per second and commit-to-delivery delay",
    run=run,
)
