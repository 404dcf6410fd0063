"""Single events under concurrent load: ``POST /v1/events`` against one INSERT per request.

From the issue, the benchmark "single event":

- measured: ``POST /v1/events``, 32 concurrent connections, 20,000 customers, two schemes and
  one saved segment active: events/s; p50 and p99 latency at 32 and at 8 connections;
- baseline: a minimal FastAPI + asyncpg endpoint in the same bench that inserts one row per
  request, under the same load.

The targets are issue 21's (group commit): at 32 connections ≥ 0.5x the bare insert's
events/s and ≥ 1.0x the same-work baseline's (below); at 8 connections, median latency ≤ 3x
the bare insert's (p99 printed beside the bare insert's: on shared machines even the
baseline's p99 swings widely). Issue 21's third target, the normal batch at least twice the
single event's events/s at 32 connections, compares this benchmark with ``bench.backfill``:
see ``bench.combined``.

Setup: two schemes (``value``: vip on ``spend_365d`` and ``orders_365d``, regular on
``orders_365d``; ``lifecycle``: active, lapsing or dormant by ``days_since_last_order``) and one
saved segment reading both (``active-valued``) are saved on the empty workspace; then 20,000
customers (scale 1), each with 1 to 5 past orders over the last 400 days, are loaded through
``POST /v1/events/batch`` in backfill mode, which classifies them set-based; then VACUUM
ANALYZE, so no autovacuum of the fresh rows runs in the first runs. A new order moves
most customers' lifecycle tier and many a value tier, so the events do real work.

The load: new orders (fresh event ids, random customers among the seeded ones, amounts as
decimal strings), sent by a load generator that is a process of its own
(``python -m bench.single_event load``), over N kept-alive HTTP/1.1 connections, each sending
its next request when the last one's response is read (a closed loop). The client is a few
lines over asyncio streams on uvloop, not httpx: on two cores shared with both servers and
PostgreSQL, httpx with a pool of 32 connections spent about 2 ms of CPU per request (the raw
client 65 us) and held the baseline to a quarter to an eighth of its rate
(``Load(client="httpx")`` compares). Each run warms up for ``WARMUP_S`` and then measures
for ``MEASURE_S``: events/s are the responses completed in the window, latencies those of the
requests started in it.

One webhook endpoint subscribes to tier changes and segment entries and exits, so each
change an event makes also writes an outbox message and its delivery (issue 20). It points
at ``http://127.0.0.1:9/`` and nothing delivers to it: ``tierline serve`` runs without its
background workers (``TIERLINE_BACKGROUND_WORKERS=false``), and the jobs of the scheme and
segment saves are run during the setup by a ``tierline worker`` process that is stopped
before the endpoint is created. In the server a delivery worker would claim and attempt every
message at once (and again 5 s later), against the events' CPU, and it claims every
workspace's deliveries, the same-work baseline's too.

The baseline is ``POST /events`` of ``bench.baseline_sql`` (its own uvicorn process, Tierline's
pool size): the same JSON body, one ``INSERT`` of its columns into a bare table with a primary
key. The same-work baseline (issue 20) is ``POST /events/same-work/{workspace}`` of the same
process: per request, in one transaction of four round trips, by hand on Tierline's tables,
the writes Tierline makes for an event (the event, the lifetime totals under the row lock,
the day's roll-up, a tier assignment and its history row, a segment membership and its
history row, an outbox message and its delivery), in a workspace of its own that is a copy
of Tierline's after the seeding (customers, roll-ups, tiers, members, the endpoint), with
event ids of its own prefix; it decides tiers by a fixed rule (see ``bench.baseline_sql``).
The three sides run in turn, at 32 and then 8 connections, for ``ROUNDS`` rounds, the order
reversed every round, so drift falls on every side. Every Tierline and same-work response
must be a 201, each side's stored events must be exactly those answered 201, both schemes
and the segment must have moved customers because of Tierline's, each of its messages must
have its delivery, and the same-work baseline must have written one row of each kind per
event; otherwise the run fails.

Figures: time per event (1 / events/s, so a ratio of at most 2 is at least half the baseline's
events/s) at 32 connections (target ≤ 2), median latency at 8 connections (target ≤ 3), and
for information p99 at 8, time per event at 8 and p50 and p99 at 32; against the same-work
baseline, time per event at 32 connections (target ≤ 1: at least its events/s) and, for
information, at 8 connections and the p50 at 8.

Group commit, for information: the Tierline server's ``/metrics`` is read before and after
each of its rounds (warm-up included), and the notes give the mean flush size (the
differences of ``tierline_event_flush_size``'s sum and count) and mean flush wait
(``tierline_event_flush_wait_seconds``) at each number of connections, or ``n/a`` where the
server does not expose them. The flush settings (``TIERLINE_EVENT_FLUSH_MAX``,
``TIERLINE_EVENT_FLUSH_WAIT_MS``) are the server's defaults unless set in the environment
``make bench`` runs in; ``results.json`` records them.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.db.url import asyncpg_dsn
from app.settings import Settings
from app.webhooks import SEGMENT_ENTERED, SEGMENT_EXITED, TIER_CHANGED
from bench.baseline_sql import EVENTS_TABLE
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.segments import running_baseline
from bench.service import (
    ROOT,
    Service,
    running_service,
    running_worker,
    wait_for_job,
)
from bench.stats import percentile

CUSTOMERS = 20_000
PAST_ORDERS = (1, 5)
HISTORY_DAYS = 400
SEED = 11
BATCH_SIZE = 1_000
CONNECTIONS = (32, 8)
RATE_CONNECTIONS, LATENCY_CONNECTIONS = 32, 8
ROUNDS = 2
WARMUP_S = 2.0
MEASURE_S = 9.0
"""Per run; with ``ROUNDS`` runs per side and load, 18 s measured for each figure."""
MIN_MEASURE_S = 3.0
RATE_TARGET = 2.0
"""issue 21: at 32 connections, time per event at most twice the bare insert's: at least half
its events/s."""
LATENCY_TARGET = 3.0
"""issue 21: median latency at 8 connections at most 3x the bare insert's."""
SAME_WORK_TARGET = 1.0
"""issue 21: at 32 connections, time per event at most the same-work baseline's: at least its
events/s ("batching must beat the best one-at-a-time code")."""
FLUSH_SIZE_METRIC = "tierline_event_flush_size"
FLUSH_WAIT_METRIC = "tierline_event_flush_wait_seconds"
FLUSH_SETTINGS = ("TIERLINE_EVENT_FLUSH_MAX", "TIERLINE_EVENT_FLUSH_WAIT_MS")
"""Passed to ``tierline serve`` from the environment when set (``running_service``)."""
JOB_TIMEOUT_S = 120.0
LOAD_TIMEOUT_S = 120.0
"""How long the load generator may take beyond its warm-up and measured window."""
EVENT_PREFIX = "load-"
SAME_WORK_PREFIX = "same-"
"""The same-work baseline's event ids; its events are in a workspace of their own too."""
SIDES = ("tierline", "baseline", "same_work")
ENDPOINT_URL = "http://127.0.0.1:9/"
"""Nothing listens there and nothing delivers to it: see the module's docstring."""
SERVICE_SETTINGS = {
    "TIERLINE_BACKGROUND_WORKERS": "false",
    "TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
}
SAME_WORK_SLUG = "same-work-baseline"
CHANNELS = (b"web", b"store", b"phone")
DRAWS = 1 << 16
"""The load generator cycles through this many pre-drawn (customer, amount, channel)."""

SCHEMES: dict[str, dict[str, Any]] = {
    "value": {
        "name": "Customer value",
        "tiers": [
            {
                "key": "vip",
                "name": "VIP",
                "condition": {
                    "all": [
                        {"field": "metrics.spend_365d", "op": "gte", "value": 1500},
                        {"field": "metrics.orders_365d", "op": "gte", "value": 5},
                    ]
                },
            },
            {
                "key": "regular",
                "name": "Regular",
                "condition": {"field": "metrics.orders_365d", "op": "gte", "value": 2},
            },
        ],
        "default_tier": "occasional",
        "downgrade_grace_days": 30,
    },
    "lifecycle": {
        "name": "Lifecycle",
        "tiers": [
            {
                "key": "active",
                "name": "Active",
                "condition": {"field": "metrics.days_since_last_order", "op": "lte", "value": 30},
            },
            {
                "key": "lapsing",
                "name": "Lapsing",
                "condition": {"field": "metrics.days_since_last_order", "op": "lte", "value": 180},
            },
        ],
        "default_tier": "dormant",
    },
}
SEGMENT_KEY = "active-valued"
SEGMENT: dict[str, Any] = {
    "name": "Active valued customers",
    "condition": {
        "all": [
            {"field": "tiers.value", "op": "in", "value": ["vip", "regular"]},
            {"field": "tiers.lifecycle", "op": "eq", "value": "active"},
        ]
    },
}


def _progress(message: str) -> None:
    print(f"bench single_event: {message}", file=sys.stderr, flush=True)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _customer(index: int) -> str:
    return f"cust-{index:05d}"


# --- the load generator, a process of its own --------------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """What one run of the load generator sends, and where."""

    base_url: str
    path: str
    key: str
    connections: int
    warmup_s: float
    measure_s: float
    prefix: str
    """Event ids are this and a serial number, unique across runs."""
    customers: int
    seed: int
    client: str = "raw"
    """``raw`` (asyncio streams) or ``httpx``."""
    rate: float = 0.0
    """Requests per second on a fixed schedule (open loop), each timed from the moment it
    was due, so a request that waited for a free connection counts its wait; 0 sends them
    back to back on each connection (closed loop). Open loop needs ``raw``."""
    customer_digits: int = 5
    """Customer ids are ``cust-`` and the drawn index in this many digits."""


@dataclass(slots=True)
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    """Of the requests started in the measured window."""
    completed: int = 0
    """Responses that arrived in the measured window."""
    window_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    """Of every response, warm-up included."""
    with_tier_changes: int = 0
    """Responses whose ``tier_changes`` list is not empty."""
    first_error: str = ""
    due_at: list[float] = field(default_factory=list)
    """Open loop: the wall-clock moment each measured request was due (``time.time()``),
    in the order of ``latencies_s``."""

    @property
    def rate(self) -> float:
        return self.completed / self.window_s if self.window_s > 0 else 0.0


class _Bodies:
    """Request bodies: orders with fresh event ids for random customers, built from bytes."""

    def __init__(self, load: Load) -> None:
        rng = random.Random(load.seed)
        self.prefix = load.prefix.encode()
        self.customer = b"cust-%%0%dd" % load.customer_digits
        self.occurred = _timestamp(datetime.now(UTC).replace(microsecond=0)).encode()
        self.draws = [
            (
                rng.randrange(load.customers),
                rng.randint(500, 50_000),
                rng.choice(CHANNELS),
            )
            for _ in range(DRAWS)
        ]
        self.serial = 0

    def next(self) -> bytes:
        self.serial += 1
        customer, cents, channel = self.draws[self.serial % DRAWS]
        return (
            b'{"event_id":"%s%d","customer_id":"%s","type":"order","occurred_at":"%s",'
            b'"amount":"%d.%02d","properties":{"channel":"%s"}}'
            % (
                self.prefix,
                self.serial,
                self.customer % customer,
                self.occurred,
                cents // 100,
                cents % 100,
                channel,
            )
        )


class _Clock:
    def __init__(self, load: Load) -> None:
        self.start = time.perf_counter() + load.warmup_s
        self.end = self.start + load.measure_s


def _note(result: LoadResult, clock: _Clock, started: float, status: int, body: bytes) -> None:
    finished = time.perf_counter()
    result.statuses[status] += 1
    if status != 201 and not result.first_error:
        result.first_error = f"{status}: {body[:300].decode(errors='replace')}"
    if b'"tier_changes":[]' not in body and b'"tier_changes":' in body:
        result.with_tier_changes += 1
    if clock.start <= started < clock.end:
        result.latencies_s.append(finished - started)
    if clock.start <= finished <= clock.end:
        result.completed += 1


class _Schedule:
    """Open loop: the moments requests are due, ``1 / rate`` apart from the start of the
    warm-up, shared by the connections."""

    def __init__(self, load: Load, clock: _Clock) -> None:
        self.first = clock.start - load.warmup_s
        self.interval = 1.0 / load.rate
        self.sent = 0

    def next_due(self) -> float:
        due = self.first + self.sent * self.interval
        self.sent += 1
        return due


async def _raw_connection(
    load: Load,
    bodies: _Bodies,
    clock: _Clock,
    result: LoadResult,
    schedule: _Schedule | None = None,
) -> None:
    """One kept-alive HTTP/1.1 connection sending requests until the end: back to back, or,
    with a ``schedule``, each when it is due (at once when it is already late)."""
    host, port = load.base_url.removeprefix("http://").split(":")
    head = (
        f"POST {load.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {load.key}\r\nContent-Type: application/json\r\n"
        "Content-Length: "
    ).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while time.perf_counter() < clock.end:
            body = bodies.next()
            started = time.perf_counter()
            if schedule is not None:
                started = schedule.next_due()
                if started >= clock.end:
                    break
                await asyncio.sleep(max(0.0, started - time.perf_counter()))
            writer.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            response_head = await reader.readuntil(b"\r\n\r\n")
            lowered = response_head.lower()
            at = lowered.find(b"\r\ncontent-length:")
            if at < 0:
                raise BenchError(f"a response without Content-Length: {response_head!r}")
            length = int(lowered[at + 17 : lowered.index(b"\r\n", at + 2)])
            answer = await reader.readexactly(length)
            _note(result, clock, started, int(response_head[9:12]), answer)
            if schedule is not None and clock.start <= started < clock.end:
                result.due_at.append(time.time() - (time.perf_counter() - started))
    finally:
        writer.close()


async def _httpx_connection(
    load: Load, client: httpx.AsyncClient, bodies: _Bodies, clock: _Clock, result: LoadResult
) -> None:
    headers = {"Authorization": f"Bearer {load.key}", "Content-Type": "application/json"}
    while time.perf_counter() < clock.end:
        body = bodies.next()
        started = time.perf_counter()
        response = await client.post(load.path, content=body, headers=headers)
        _note(result, clock, started, response.status_code, response.content)


async def generate(load: Load) -> LoadResult:
    bodies, result = _Bodies(load), LoadResult()
    clock = _Clock(load)
    if load.client == "httpx":
        limits = httpx.Limits(
            max_connections=load.connections, max_keepalive_connections=load.connections
        )
        async with httpx.AsyncClient(
            base_url=load.base_url, limits=limits, timeout=60.0, trust_env=False
        ) as client:
            await asyncio.gather(
                *(
                    _httpx_connection(load, client, bodies, clock, result)
                    for _ in range(load.connections)
                )
            )
    else:
        schedule = _Schedule(load, clock) if load.rate > 0 else None
        await asyncio.gather(
            *(
                _raw_connection(load, bodies, clock, result, schedule)
                for _ in range(load.connections)
            )
        )
    result.window_s = clock.end - clock.start
    return result


def _load_main(argument: str) -> None:
    load = Load(**json.loads(argument))
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        result = asyncio.run(generate(load))
    else:
        result = uvloop.run(generate(load))
    document = asdict(result)
    document["statuses"] = {str(code): count for code, count in result.statuses.items()}
    document["latencies_s"] = [round(seconds, 7) for seconds in result.latencies_s]
    document["due_at"] = [round(moment, 6) for moment in result.due_at]
    json.dump(document, sys.stdout)


async def drive(load: Load) -> LoadResult:
    """Runs the load generator in a process of its own and reads back what it measured."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.single_event",
        "load",
        json.dumps(asdict(load)),
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        limit = load.warmup_s + load.measure_s + LOAD_TIMEOUT_S
        out, err = await asyncio.wait_for(process.communicate(), limit)
    except TimeoutError as error:
        process.kill()
        await process.wait()
        raise BenchError(f"the load generator took over {limit:.0f} s") from error
    if process.returncode != 0:
        raise BenchError(f"the load generator exited {process.returncode}: {err.decode()[-2000:]}")
    document = json.loads(out)
    document["statuses"] = Counter({int(code): n for code, n in document["statuses"].items()})
    return LoadResult(**document)


# --- group commit: the server's flush histograms --------------------------------------------

Snapshot = dict[str, tuple[float, float]]
"""A histogram's sum and count (over its label sets) by name; absent when the server exposes
no sample of it (a server without it, or a labelled one that has observed nothing yet)."""


async def scrape_flushes(base_url: str) -> Snapshot:
    """The flush histograms of the server's ``/metrics`` (no key needed)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0, trust_env=False) as client:
        response = await client.get("/metrics")
    if response.status_code != 200:
        raise BenchError(f"GET /metrics answered {response.status_code}: {response.text[:300]}")
    return flush_histograms(response.text)


def flush_histograms(exposition: str) -> Snapshot:
    """The flush histograms of a Prometheus text exposition."""
    found: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            for metric in (FLUSH_SIZE_METRIC, FLUSH_WAIT_METRIC):
                for index, suffix in enumerate(("_sum", "_count")):
                    if sample.name == metric + suffix:
                        found.setdefault(metric, [0.0, 0.0])[index] += sample.value
    return {metric: (total, count) for metric, (total, count) in found.items()}


def _observed(before: Snapshot, after: Snapshot, metric: str) -> tuple[float, float] | None:
    """The sum and count the histogram observed between the two snapshots; None when the
    second has no sample of it."""
    if metric not in after:
        return None
    total, count = before.get(metric, (0.0, 0.0))
    return after[metric][0] - total, after[metric][1] - count


def _mean(before: Snapshot, after: Snapshot, metric: str) -> float | None:
    """The mean of what the histogram observed between the two snapshots; None when it
    observed nothing (or the server does not expose it)."""
    observed = _observed(before, after, metric)
    return observed[0] / observed[1] if observed and observed[1] > 0 else None


def _shown(value: float | None, scale: float = 1.0, unit: str = "") -> str:
    return "n/a" if value is None else f"{value * scale:,.1f}{unit}"


@dataclass(slots=True)
class Flushes:
    """The Tierline server's flushes over its rounds at one number of connections: the
    differences of the histograms across each round (its warm-up included)."""

    totals: dict[str, list[float]] = field(default_factory=dict)
    """Sum and count by histogram, over the rounds in which the server exposed it."""
    round_sizes: list[float | None] = field(default_factory=list)

    def add(self, before: Snapshot, after: Snapshot) -> None:
        for metric in (FLUSH_SIZE_METRIC, FLUSH_WAIT_METRIC):
            observed = _observed(before, after, metric)
            if observed is not None:
                total = self.totals.setdefault(metric, [0.0, 0.0])
                total[0] += observed[0]
                total[1] += observed[1]
        self.round_sizes.append(_mean(before, after, FLUSH_SIZE_METRIC))

    def mean(self, metric: str) -> float | None:
        total, count = self.totals.get(metric, (0.0, 0.0))
        return total / count if count > 0 else None

    def detail(self) -> dict[str, Any]:
        size, wait = self.mean(FLUSH_SIZE_METRIC), self.mean(FLUSH_WAIT_METRIC)
        exposed = self.totals.get(FLUSH_SIZE_METRIC)
        return {
            "flushes": None if exposed is None else round(exposed[1]),
            "mean_size": None if size is None else round(size, 2),
            "mean_wait_ms": None if wait is None else round(wait * 1000, 3),
            "round_mean_sizes": [None if n is None else round(n, 2) for n in self.round_sizes],
        }

    def describe(self) -> str:
        size, wait = self.mean(FLUSH_SIZE_METRIC), self.mean(FLUSH_WAIT_METRIC)
        rounds = ", ".join(_shown(n) for n in self.round_sizes)
        return (
            f"mean flush size {_shown(size, unit=' events')} (rounds {rounds}), mean flush "
            f"wait {_shown(wait, 1000, ' ms')}"
        )


# --- setting up Tierline ----------------------------------------------------------------


def history(customers: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Each customer's past orders, 1 to 5 over the last ``HISTORY_DAYS`` days."""
    span_s = HISTORY_DAYS * 86_400
    start = now - timedelta(days=HISTORY_DAYS, hours=1)
    events = []
    for index in range(customers):
        for number in range(rng.randint(*PAST_ORDERS)):
            cents = rng.randint(500, 50_000)
            events.append(
                {
                    "event_id": f"past-{index}-{number}",
                    "customer_id": _customer(index),
                    "type": "order",
                    "occurred_at": _timestamp(start + timedelta(seconds=rng.randrange(span_s))),
                    "amount": f"{cents // 100}.{cents % 100:02d}",
                    "properties": {"channel": rng.choice(CHANNELS).decode()},
                }
            )
    return events


async def seed(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), BATCH_SIZE):
        batch = events[start : start + BATCH_SIZE]
        response = await client.post(
            "/v1/events/batch", json={"events": batch, "mode": "backfill"}, timeout=300.0
        )
        if response.status_code != 200:
            raise BenchError(
                f"POST /v1/events/batch answered {response.status_code}: {response.text[:500]}"
            )
        refused = [item for item in response.json()["results"] if item["status"] != "created"]
        if refused:
            raise BenchError(f"a past order was not created: {refused[:1]}")


async def save(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    """Saves a scheme or segment and waits for its reclassification job."""
    response = await client.put(path, json=body)
    if response.status_code not in (200, 201):
        raise BenchError(f"PUT {path} answered {response.status_code}: {response.text[:500]}")
    await wait_for_job(client, response.json().get("job_id"), JOB_TIMEOUT_S)


async def subscribe(client: httpx.AsyncClient) -> str:
    """The one endpoint: every tier change and segment entry and exit."""
    body = {"url": ENDPOINT_URL, "event_types": [TIER_CHANGED, SEGMENT_ENTERED, SEGMENT_EXITED]}
    response = await client.post("/v1/webhooks/endpoints", json=body)
    if response.status_code != 201 or not response.json()["enabled"]:
        raise BenchError(
            f"POST /v1/webhooks/endpoints answered {response.status_code}: {response.text[:500]}"
        )
    endpoint_id: str = response.json()["id"]
    return endpoint_id


async def prepare(service: Service, customers: int) -> dict[str, Any]:
    """Saves the schemes and the segment, seeds the customers (the backfill classifies
    them, set-based), with a worker running the saves' jobs, then subscribes the endpoint;
    returns what they hold."""
    events = history(customers, datetime.now(UTC), random.Random(SEED))
    started = time.perf_counter()
    async with service.client(timeout_s=300.0) as client:
        async with running_worker(service, SERVICE_SETTINGS):
            for key, scheme in SCHEMES.items():
                await save(client, f"/v1/schemes/{key}", scheme)
            await save(client, f"/v1/segments/{SEGMENT_KEY}", SEGMENT)
            await seed(client, events)
        endpoint_id = await subscribe(client)
    seconds = time.perf_counter() - started
    _progress(f"schemes and segment saved, {len(events):,} past orders seeded in {seconds:.1f} s")
    workspace_id = await _only_workspace(service.database_url)
    return {
        "past_orders": len(events),
        "setup_seconds": round(seconds, 1),
        "endpoint_id": endpoint_id,
    } | await _state(service.database_url, workspace_id, EVENT_PREFIX)


async def _only_workspace(database_url: str) -> UUID:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch("SELECT id FROM workspaces")
    finally:
        await conn.close()
    if len(rows) != 1:
        raise BenchError(f"expected Tierline's workspace only, found {len(rows)} workspaces")
    workspace_id: UUID = rows[0]["id"]
    return workspace_id


async def _state(database_url: str, workspace_id: UUID, prefix: str) -> dict[str, Any]:
    """A workspace's tier and segment counts, and what the load's events (ids starting with
    ``prefix``) stored and changed."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tiers = await conn.fetch(
            "SELECT scheme_key, tier, count(*) AS n FROM customer_tiers WHERE workspace_id = $1 "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            workspace_id,
        )
        members = await conn.fetchval(
            "SELECT count(*) FROM segment_members WHERE workspace_id = $1", workspace_id
        )
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE workspace_id = $1 AND event_id LIKE $2",
            workspace_id,
            prefix + "%",
        )
        moves = await conn.fetch(
            "SELECT scheme_key, count(*) AS n FROM tier_history "
            "WHERE workspace_id = $1 AND reason = 'event' GROUP BY 1 ORDER BY 1",
            workspace_id,
        )
        segment_moves = await conn.fetch(
            "SELECT change, count(*) AS n FROM segment_history "
            "WHERE workspace_id = $1 AND reason = 'event' GROUP BY 1 ORDER BY 1",
            workspace_id,
        )
        messages = await conn.fetch(
            "SELECT type, count(*) AS n FROM webhook_messages WHERE workspace_id = $1 "
            "GROUP BY 1 ORDER BY 1",
            workspace_id,
        )
        deliveries = await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE workspace_id = $1", workspace_id
        )
    finally:
        await conn.close()
    return {
        "tiers": {f"{row['scheme_key']}.{row['tier']}": row["n"] for row in tiers},
        "segment_members": members,
        "load_events_stored": stored,
        "tier_changes_by_event": {row["scheme_key"]: row["n"] for row in moves},
        "segment_changes_by_event": {row["change"]: row["n"] for row in segment_moves},
        "messages": {row["type"]: row["n"] for row in messages},
        "deliveries": deliveries,
    }


# Copies a table's rows of one workspace into another, every column but the workspace kept.
_COPY = """
INSERT INTO {table}
SELECT (jsonb_populate_record(NULL::{table}, to_jsonb(t) || jsonb_build_object(
    'workspace_id', $2::uuid{extra}))).*
FROM {table} t WHERE t.workspace_id = $1
"""
COPIED = ("customers", "customer_days", "customer_tiers", "segment_members")


async def _copy_workspace(conn: asyncpg.Connection, source: UUID) -> UUID:
    """The same-work baseline's workspace: a copy of Tierline's customers, roll-ups, tiers,
    members and endpoint (under a new id), as they are after the seeding."""
    target = uuid4()
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO workspaces (id, slug, name, base_currency) "
            "SELECT $2, $3, 'Same-work baseline', base_currency FROM workspaces WHERE id = $1",
            source,
            target,
            SAME_WORK_SLUG,
        )
        for table in COPIED:
            await conn.execute(_COPY.format(table=table, extra=""), source, target)
        await conn.execute(
            _COPY.format(table="webhook_endpoints", extra=", 'id', gen_random_uuid()"),
            source,
            target,
        )
    return target


async def settle(database_url: str) -> tuple[UUID, UUID]:
    """Copies Tierline's workspace for the same-work baseline, VACUUM ANALYZE after the
    seeding, so no autovacuum of the fresh rows runs during the first runs, and creates the
    baseline's table; returns Tierline's workspace and the copy."""
    workspace_id = await _only_workspace(database_url)
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        same_work_id = await _copy_workspace(conn, workspace_id)
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute(EVENTS_TABLE)
    finally:
        await conn.close()
    return workspace_id, same_work_id


# --- the runs -----------------------------------------------------------------------------


@dataclass(slots=True)
class Side:
    """Everything one side measured at one number of connections, over the rounds."""

    latencies_s: list[float] = field(default_factory=list)
    completed: int = 0
    window_s: float = 0.0
    round_rates: list[float] = field(default_factory=list)
    round_p50_ms: list[float] = field(default_factory=list)

    def add(self, run: LoadResult) -> None:
        self.latencies_s += run.latencies_s
        self.completed += run.completed
        self.window_s += run.window_s
        self.round_rates.append(run.rate)
        self.round_p50_ms.append(percentile(run.latencies_s, 0.5) * 1000)

    @property
    def rate(self) -> float:
        return self.completed / self.window_s

    def ms(self, fraction: float) -> float:
        return round(percentile(self.latencies_s, fraction) * 1000, 3)

    def detail(self) -> dict[str, Any]:
        return {
            "events_per_second": round(self.rate, 1),
            "p50_ms": self.ms(0.5),
            "p90_ms": self.ms(0.9),
            "p99_ms": self.ms(0.99),
            "max_ms": self.ms(1.0),
            "samples": len(self.latencies_s),
            "round_events_per_second": [round(rate, 1) for rate in self.round_rates],
            "round_p50_ms": [round(ms, 3) for ms in self.round_p50_ms],
        }


def _schedule(rounds: int) -> list[tuple[str, int]]:
    """(side, connections) in running order: each load in turn, the sides' order reversed
    every round."""
    order = []
    for index in range(rounds):
        sides = SIDES if index % 2 == 0 else SIDES[::-1]
        order += [(side, connections) for connections in CONNECTIONS for side in sides]
    return order


def _per_event(after: dict[str, Any], events: int) -> dict[str, float]:
    """Rows the load's events wrote, per event stored."""
    if not events:
        return {}
    written = {
        "tier_history": sum(after["tier_changes_by_event"].values()),
        "segment_history": sum(after["segment_changes_by_event"].values()),
        "webhook_messages": sum(after["messages"].values()),
        "webhook_deliveries": after["deliveries"],
    }
    return {table: round(rows / events, 3) for table, rows in written.items()}


async def run(context: Context, result: BenchmarkResult) -> None:
    customers = context.scaled(CUSTOMERS, minimum=100)
    measure_s = max(MIN_MEASURE_S, MEASURE_S * min(1.0, context.scale))
    pool_size = Settings().db_pool_size
    result.details["parameters"] = {
        "customers": customers,
        "past_orders_per_customer": list(PAST_ORDERS),
        "connections": list(CONNECTIONS),
        "rounds": ROUNDS,
        "warmup_s": WARMUP_S,
        "measure_s": measure_s,
        "pool_size": pool_size,
        "client": "raw asyncio streams on uvloop, one process",
        "service_settings": SERVICE_SETTINGS,
        "flush_settings": {name: os.environ.get(name, "default") for name in FLUSH_SETTINGS},
        "endpoint_url": ENDPOINT_URL,
    }
    sides: dict[tuple[str, int], Side] = {(side, n): Side() for side in SIDES for n in CONNECTIONS}
    statuses: dict[str, Counter[int]] = {side: Counter() for side in SIDES}
    responses_with_changes = 0
    first_error = {side: "" for side in SIDES}
    flushes = {n: Flushes() for n in CONNECTIONS}

    async with running_service(context.database_server, SERVICE_SETTINGS) as service:
        _progress(f"service ready at {service.base_url}; {customers:,} customers")
        result.details["setup"] = await prepare(service, customers)
        workspace_id, same_work_id = await settle(service.database_url)
        result.details["same_work_workspace_id"] = str(same_work_id)
        async with running_baseline(service.database_url, pool_size) as baseline:
            _progress(f"baselines ready at {baseline.base_url} (pool size {pool_size})")
            base_url = str(baseline.base_url).rstrip("/")
            targets = {
                "tierline": (service.base_url, "/v1/events", EVENT_PREFIX),
                "baseline": (base_url, "/events", EVENT_PREFIX),
                "same_work": (base_url, f"/events/same-work/{same_work_id}", SAME_WORK_PREFIX),
            }
            for number, (side, connections) in enumerate(_schedule(ROUNDS)):
                url, path, prefix = targets[side]
                load = Load(
                    base_url=url,
                    path=path,
                    key=service.key,
                    connections=connections,
                    warmup_s=WARMUP_S,
                    measure_s=measure_s,
                    prefix=f"{prefix}{number}-",
                    customers=customers,
                    seed=SEED + number,
                )
                before = await scrape_flushes(service.base_url) if side == "tierline" else {}
                measured = await drive(load)
                flushed = ""
                if side == "tierline":
                    after_round = await scrape_flushes(service.base_url)
                    flushes[connections].add(before, after_round)
                    size = _mean(before, after_round, FLUSH_SIZE_METRIC)
                    flushed = f", mean flush size {_shown(size)}"
                if not measured.latencies_s:
                    raise BenchError(f"{side} at {connections} connections: no request completed")
                sides[side, connections].add(measured)
                statuses[side] += measured.statuses
                if side == "tierline":
                    responses_with_changes += measured.with_tier_changes
                first_error[side] = first_error[side] or measured.first_error
                _progress(
                    f"{side} at {connections}: {measured.rate:,.0f} events/s, p50 "
                    f"{percentile(measured.latencies_s, 0.5) * 1000:.1f} ms, p99 "
                    f"{percentile(measured.latencies_s, 0.99) * 1000:.1f} ms{flushed}"
                )
        after = await _state(service.database_url, workspace_id, EVENT_PREFIX)
        same_work_after = await _state(service.database_url, same_work_id, SAME_WORK_PREFIX)

    def figure(
        name: str, label: str, connections: int, fraction: float | None, against: str
    ) -> Figure:
        tierline, hand = sides["tierline", connections], sides[against, connections]
        if fraction is None:
            unit, measured, base = "us/event", 1e6 / tierline.rate, 1e6 / hand.rate
        else:
            unit, measured, base = "ms", tierline.ms(fraction), hand.ms(fraction)
        targets = {
            "rate_32": RATE_TARGET,
            "p50_8": LATENCY_TARGET,
            "same_rate_32": SAME_WORK_TARGET,
        }
        return Figure(
            name=name,
            label=label,
            unit=unit,
            measured=round(measured, 2),
            baseline=round(base, 2),
            target=targets.get(name),
            measured_detail=tierline.detail(),
            baseline_detail=hand.detail(),
        )

    bare, same = "baseline", "same_work"
    result.figures += [
        figure("rate_32", "time per event (1/events/s), 32 connections", 32, None, bare),
        figure("p50_8", "POST /v1/events p50, 8 connections", 8, 0.5, bare),
        figure("p99_8", "POST /v1/events p99, 8 connections", 8, 0.99, bare),
        figure("rate_8", "time per event (1/events/s), 8 connections", 8, None, bare),
        figure("p50_32", "POST /v1/events p50, 32 connections", 32, 0.5, bare),
        figure("p99_32", "POST /v1/events p99, 32 connections", 32, 0.99, bare),
        figure("same_rate_32", "time per event vs same-work, 32 connections", 32, None, same),
        figure("same_rate_8", "time per event vs same-work, 8 connections", 8, None, same),
        figure("same_p50_8", "POST /v1/events p50 vs same-work, 8 connections", 8, 0.5, same),
    ]

    def rounds(side: Side) -> str:
        return ", ".join(f"{rate:,.0f}" for rate in side.round_rates)

    for connections in CONNECTIONS:
        tierline = sides["tierline", connections]
        hand, same_work = sides[bare, connections], sides[same, connections]
        result.notes.append(
            f"{connections} connections: Tierline {tierline.rate:,.0f} events/s (rounds "
            f"{rounds(tierline)}), p50 {tierline.ms(0.5):.1f} ms, p99 {tierline.ms(0.99):.1f} ms; "
            f"baseline {hand.rate:,.0f} events/s (rounds {rounds(hand)}), p50 "
            f"{hand.ms(0.5):.1f} ms, p99 {hand.ms(0.99):.1f} ms; same-work baseline "
            f"{same_work.rate:,.0f} events/s (rounds {rounds(same_work)}), p50 "
            f"{same_work.ms(0.5):.1f} ms, p99 {same_work.ms(0.99):.1f} ms; Tierline at "
            f"{tierline.rate / hand.rate:.2f}x the baseline's events/s (target >= "
            f"{1 / RATE_TARGET:.1f}x at {RATE_CONNECTIONS}) and "
            f"{tierline.rate / same_work.rate:.2f}x the same-work baseline's (target >= "
            f"{1 / SAME_WORK_TARGET:.1f}x at {RATE_CONNECTIONS})"
        )
    result.notes += [
        f"group commit, Tierline at {connections} connections: {flushes[connections].describe()}"
        for connections in CONNECTIONS
    ]
    if all(f.mean(FLUSH_SIZE_METRIC) is None for f in flushes.values()):
        result.notes.append(
            f"n/a: the server's /metrics has no {FLUSH_SIZE_METRIC} observations (a server "
            "without group commit)"
        )
    result.details["event_flushes"] = {str(n): f.detail() for n, f in flushes.items()}
    result.details["after"] = after
    result.details["same_work_after"] = same_work_after
    for side in SIDES:
        result.details[f"{side}_statuses"] = {str(k): v for k, v in statuses[side].items()}
    result.details["responses_with_tier_changes"] = responses_with_changes
    written = _per_event(after, after["load_events_stored"])
    same_written = _per_event(same_work_after, same_work_after["load_events_stored"])
    result.details["rows_per_event"] = {"tierline": written, "same_work": same_written}
    moves = after["tier_changes_by_event"]
    result.notes.append(
        f"{statuses['tierline'][201]:,} events sent to Tierline (warm-ups included), "
        f"{responses_with_changes:,} of them moved a tier; tier changes by event: "
        + ", ".join(f"{scheme} {n:,}" for scheme, n in moves.items())
        + "; segment "
        + ", ".join(f"{change} {n:,}" for change, n in after["segment_changes_by_event"].items())
        + "; messages "
        + ", ".join(f"{kind} {n:,}" for kind, n in after["messages"].items())
        + f", deliveries {after['deliveries']:,}"
    )
    result.notes.append(
        "rows written per event, Tierline: "
        + ", ".join(f"{table} {n:.2f}" for table, n in written.items())
        + f"; same-work baseline ({statuses[same][201]:,} events): "
        + ", ".join(f"{table} {n:.2f}" for table, n in same_written.items())
        + " (both: one event, one customers upsert, one day roll-up upsert; Tierline also "
        "rewrites customer_tiers rows of two schemes and segment_members only on change)"
    )
    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {customers:,} customers, not {CUSTOMERS:,}, and "
            f"{measure_s:g} s per run; a smoke run, the verdict needs scale 1"
        )

    tierline_statuses = statuses["tierline"]
    refused = sum(n for code, n in tierline_statuses.items() if code != 201)
    if refused:
        raise BenchError(
            f"{refused:,} Tierline responses were not 201; the first: {first_error['tierline']}"
        )
    if any(code != 201 for code in statuses[bare]):
        raise BenchError(f"the baseline did not answer 201: {dict(statuses[bare])}")
    if any(code != 201 for code in statuses[same]):
        raise BenchError(
            f"the same-work baseline did not answer 201: {dict(statuses[same])}; the first: "
            f"{first_error[same]}"
        )
    if after["load_events_stored"] != tierline_statuses[201]:
        raise BenchError(
            f"Tierline answered 201 {tierline_statuses[201]:,} times but stored "
            f"{after['load_events_stored']:,} of the load's events"
        )
    if any(moves.get(key, 0) == 0 for key in SCHEMES) or not after["segment_changes_by_event"]:
        raise BenchError(f"the events moved no tier or segment: {moves}")
    messages = sum(after["messages"].values())
    if not messages or after["deliveries"] != messages:
        raise BenchError(
            f"Tierline wrote {messages:,} messages and {after['deliveries']:,} deliveries for "
            "the one endpoint"
        )
    same_events = statuses[same][201]
    if same_work_after["load_events_stored"] != same_events or any(
        n != 1 for n in same_written.values()
    ):
        raise BenchError(
            f"the same-work baseline answered 201 {same_events:,} times, stored "
            f"{same_work_after['load_events_stored']:,} of its events and wrote per event "
            f"{same_written}, not one row of each"
        )


BENCHMARK = Benchmark(
    name="single_event",
    title="POST /v1/events under concurrent load against one INSERT per request",
    run=run,
)


if __name__ == "__main__":
    if sys.argv[1:2] != ["load"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.single_event load JSON")
    _load_main(sys.argv[2])
