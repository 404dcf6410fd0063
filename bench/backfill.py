"""Loading history: the backfill path against COPY of the same rows.

Two histories, at scale 1: the batch history, 200,000 events over 50,000 customers (orders,
refunds and visits over three years, in time order, as a CRM exports them), and the import's,
1,000,000 events over 200,000 customers as issue 11 sets it: the batch history's events
unchanged, merged in time order with 800,000 more over 150,000 further customers, drawn the
same way. They are loaded into one running server's database, each Tierline way into its own
workspace, each workspace with the same two schemes (``value`` on lifetime spend and order
count, ``activity`` on the time of the last order) and one saved segment (``vip-north``: VIPs
with the trait region north) active:

(a) the baselines: asyncpg ``COPY`` of each history's rows into a bare table with a primary
    key, the batch history's for (b) and (c), the import's for (d);
(b) ``POST /v1/events/batch``, 1,000 events per request, normal mode, from 4 connections at
    once (each sends its next request when its last is answered), on the first 30,000 events
    (the issue asks for all 200,000, but with the schemes and the segment active the normal path
    runs at 400-500 events/s on 2 cores, 7 minutes or more for all of them; its cost per event
    does not grow with the events before it, see ``bench.history``); the rest follow in
    backfill mode, untimed, so that the workspaces can be compared;
(c) the same requests with ``"mode": "backfill"``, all the events, one request at a time;
(d) ``tierline import`` of the import's history as an NDJSON file, once with ``--no-history``
    (each customer classified once, as of the import: the baseline of issue 28) and once as
    it runs by default, rebuilding every customer's tier and segment history, each into a
    workspace of its own (the whole command, start-up
    and migration check included).

The figures are microseconds per event against the COPY of the same rows (the ratio of rows/s,
inverted), and backfill against the normal batch; the notes give rows/s and the targets as
shares of that COPY's rows/s. The customers the three Tierline workspaces end with (traits,
metrics, tiers, segments; not the RFM scores, which are as of each workspace's last refresh)
are compared on a sample of the batch history's customers, whose events are the same in every
workspace. Each workspace's RFM scores are refreshed when it is created, empty, so that the
server's daily refresh does not run in the middle of a load (see ``new_workspace``).

Memory: the peak RSS of the ``tierline serve`` process (uvicorn runs in it, no workers) over
(b), against the issue's 300 MB budget. ``VmHWM`` of ``/proc/<pid>/status``, the high-water
mark since the process started, is read before and right after (b); ``VmRSS`` is also sampled
during (b).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.customers.metrics import RFM_METRICS
from app.db.url import asyncpg_dsn
from bench import staged_sql
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import ROOT, Service, running_service, tierline_executable, wait_for_job

EVENTS = 200_000
CUSTOMERS = 50_000
IMPORT_EVENTS = 1_000_000
IMPORT_CUSTOMERS = 200_000
"""issue 11: "``tierline import`` of 1,000,000 events over 200,000 customers"; the first
``EVENTS`` over the first ``CUSTOMERS`` are the batch history."""
HISTORY_TARGET = 2.0
"""issue 28: an import that rebuilds the history takes at most twice the time of the same
import without it (``--no-history``, into a workspace of its own with the same schemes)."""
NORMAL_EVENTS = 30_000
"""The normal batch path is timed on this many (scaled) of the events."""
NORMAL_CONNECTIONS = 4
"""issue 11: the normal batch "with 1,000 events per request from 4 connections"."""
SPAN = timedelta(days=3 * 365)
ORDER_SHARE, REFUND_SHARE = 0.80, 0.05
"""The rest are visits."""
TRAIT_SHARE = 0.1
BATCH_SIZE = 1_000
COPY_RUNS = 3
SAMPLE_CUSTOMERS = 50
IMPORT_TARGET = 0.7
"""issue 24: ``tierline import`` at least 0.7 times the rows/s of the staged SQL pipeline
alone (``bench.staged_sql``); its ratio to COPY is printed."""
BATCH_TARGET = 0.25
"""issue 11: the batch endpoint "(normal mode)" at least a quarter of COPY's rows/s."""
SPEEDUP_TARGET = 3.0
"""issue 5: backfill "several times faster" than the normal batch path."""
PHASE_BUDGET_S = 900.0
JOB_TIMEOUT_S = 60.0
CONTENTION_RETRIES = 5
"""A request refused with 503 (a lost deadlock) is sent again, at most this many times."""
RSS_BUDGET_MB = 300.0
"""issue 11: "peak RSS of the server process during the batch benchmark", at most 300 MB."""
RSS_SAMPLE_S = 0.1
CHANNELS = ("web", "store", "phone")
REGIONS = ("north", "south", "east", "west")
COUNTS = re.compile(r"([\d,]+) created, ([\d,]+) duplicate, ([\d,]+) rejected")
VIP_SPEND = 2000
SCHEMES: dict[str, dict[str, Any]] = {
    "value": {
        "name": "Customer value",
        "tiers": [
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.lifetime_spend", "op": "gte", "value": VIP_SPEND},
            },
            {
                "key": "regular",
                "name": "Regular",
                "condition": {"field": "metrics.order_count", "op": "gte", "value": 1},
            },
        ],
        "default_tier": "potential",
    },
    "activity": {
        "name": "Activity",
        "tiers": [
            {
                "key": "active",
                "name": "Active",
                "condition": {"field": "metrics.last_order_at", "op": "within_days", "value": 90},
            },
            {
                "key": "lapsing",
                "name": "Lapsing",
                "condition": {"field": "metrics.orders_365d", "op": "gte", "value": 1},
            },
        ],
        "default_tier": "lapsed",
    },
}
SEGMENTS: dict[str, dict[str, Any]] = {
    "vip-north": {
        "name": "VIPs in the north",
        "condition": {
            "all": [
                {"field": "tiers.value", "op": "eq", "value": "vip"},
                {"field": "traits.region", "op": "eq", "value": "north"},
            ]
        },
    }
}


def _progress(message: str) -> None:
    print(f"bench backfill: {message}", file=sys.stderr, flush=True)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def history(
    count: int,
    customers: int,
    now: datetime,
    rng: random.Random,
    *,
    first_event: int = 0,
    first_customer: int = 0,
) -> Iterator[dict[str, Any]]:
    """``count`` events over ``customers`` customers, oldest first, numbered from
    ``ev-{first_event}`` and ``cust-{first_customer}``. Every ``occurred_at`` is a whole number
    of seconds after the same start, so the strings sort as the times do."""
    span_s = int(SPAN.total_seconds())
    start = now - SPAN - timedelta(hours=1)
    for index, offset in enumerate(sorted(rng.randrange(span_s) for _ in range(count))):
        event: dict[str, Any] = {
            "event_id": f"ev-{first_event + index}",
            "customer_id": f"cust-{first_customer + rng.randrange(customers)}",
            "occurred_at": _timestamp(start + timedelta(seconds=offset)),
            "properties": {"channel": rng.choice(CHANNELS)},
        }
        draw = rng.random()
        if draw < ORDER_SHARE:
            cents = rng.randint(500, 50_000)
            event |= {"type": "order", "amount": f"{cents // 100}.{cents % 100:02d}"}
        elif draw < ORDER_SHARE + REFUND_SHARE:
            cents = rng.randint(500, 10_000)
            event |= {"type": "refund", "amount": f"{cents // 100}.{cents % 100:02d}"}
        else:
            event["type"] = "visit"
        if rng.random() < TRAIT_SHARE:
            event["traits"] = {"region": rng.choice(REGIONS)}
        yield event


def import_history(
    events: list[dict[str, Any]],
    customers: int,
    count: int,
    total_customers: int,
    now: datetime,
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    """``count`` events over ``total_customers`` customers, oldest first: the batch history
    ``events`` (over ``customers`` customers, drawn with the same ``now``) merged with the
    rest, drawn the same way over the further customers as they are needed, so only the batch
    history is held at once."""
    more = history(
        count - len(events),
        total_customers - customers,
        now,
        rng,
        first_event=len(events),
        first_customer=customers,
    )
    return heapq.merge(events, more, key=lambda e: e["occurred_at"])


def write_ndjson(path: Path, events: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for event in events:
            file.write(json.dumps(event) + "\n")


def read_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        for line in file:
            yield json.loads(line)


def _batches(events: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(events), BATCH_SIZE):
        yield events[start : start + BATCH_SIZE]


async def copy_seconds(database_url: str, events: Iterable[dict[str, Any]]) -> list[float]:
    """Seconds of each COPY of the events' rows (built first, untimed) into a fresh bare table
    with a primary key."""
    records = [
        (
            e["event_id"],
            e["customer_id"],
            e["type"],
            datetime.fromisoformat(e["occurred_at"]),
            Decimal(e["amount"]) if "amount" in e else None,
            json.dumps(e["properties"]),
        )
        for e in events
    ]
    columns = ["event_id", "customer_id", "type", "occurred_at", "amount", "properties"]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    timings = []
    try:
        for _ in range(COPY_RUNS):
            await conn.execute("DROP TABLE IF EXISTS bench_copy")
            await conn.execute(
                "CREATE TABLE bench_copy (event_id text PRIMARY KEY, customer_id text NOT NULL, "
                "type text NOT NULL, occurred_at timestamptz NOT NULL, amount numeric, "
                "properties jsonb NOT NULL)"
            )
            started = time.perf_counter()
            await conn.copy_records_to_table("bench_copy", records=records, columns=columns)
            timings.append(time.perf_counter() - started)
        await conn.execute("DROP TABLE bench_copy")
    finally:
        await conn.close()
    return timings


async def new_workspace(client: httpx.AsyncClient, slug: str) -> str:
    """A new workspace with ``SCHEMES`` and ``SEGMENTS`` saved (their jobs done) and its RFM
    scores refreshed while it is empty; its key.

    The refresh keeps the server's daily one from starting mid-load (it runs at the first poll
    after a workspace's first order), so that no load is timed with a whole-workspace refresh
    beside it. (Before ``app.db.statistics``, that refresh met a planner that did not know the
    new workspace yet, took minutes over 50,000 customers and held their row locks.)
    """
    response = await client.post("/v1/workspaces", json={"slug": slug, "name": slug})
    if response.status_code != 201:
        raise BenchError(f"POST /v1/workspaces answered {response.status_code}: {response.text}")
    key = str(response.json()["admin_key"]["key"])
    headers = {"Authorization": f"Bearer {key}"}
    for path, body in [(f"/v1/schemes/{k}", v) for k, v in SCHEMES.items()] + [
        (f"/v1/segments/{k}", v) for k, v in SEGMENTS.items()
    ]:
        response = await client.put(path, json=body, headers=headers)
        if response.status_code != 201:
            raise BenchError(f"PUT {path} answered {response.status_code}: {response.text}")
        await wait_for_job(
            client,
            response.json().get("job_id"),
            JOB_TIMEOUT_S,
            headers={"Authorization": f"Bearer {key}"},
        )
    response = await client.post("/v1/schemes/rfm/refresh", headers=headers)
    if response.status_code != 200:
        raise BenchError(f"POST /v1/schemes/rfm/refresh answered {response.status_code}")
    return key


@dataclass(slots=True)
class Sent:
    """What sending the batches took: seconds, and requests sent again after a 503."""

    seconds: float = 0.0
    retries: int = 0


async def batch_seconds(
    service: Service,
    key: str,
    events: list[dict[str, Any]],
    mode: str,
    connections: int = 1,
) -> Sent:
    """Sends the events, 1,000 per request, in order, from ``connections`` connections at once
    (each sends the next request waiting when its last is answered)."""
    bodies = [json.dumps({"events": batch, "mode": mode}).encode() for batch in _batches(events)]
    pending = iter(enumerate(bodies, start=1))
    sent = Sent()
    deadline = time.monotonic() + PHASE_BUDGET_S

    async def post(client: httpx.AsyncClient, body: bytes) -> None:
        for attempt in range(CONTENTION_RETRIES + 1):
            response = await client.post("/v1/events/batch", content=body)
            if response.status_code != 503 or attempt == CONTENTION_RETRIES:
                break
            sent.retries += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        if response.status_code != 200:
            raise BenchError(f"{mode} batch answered {response.status_code}: {response.text[:500]}")
        refused = [r for r in response.json()["results"] if r["status"] != "created"]
        if refused:
            raise BenchError(f"a {mode} batch did not create every event: {refused[:1]}")

    async def connection() -> None:
        async with httpx.AsyncClient(
            base_url=service.base_url,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=300.0,
            limits=httpx.Limits(max_connections=1),
            trust_env=False,
        ) as client:
            for number, body in pending:
                if time.monotonic() > deadline:
                    raise BenchError(f"{mode} batches took over {PHASE_BUDGET_S:.0f} s")
                await post(client, body)
                if number % 50 == 0:
                    _progress(f"{mode}: {number * BATCH_SIZE:,}/{len(events):,} events")

    started = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(connections):
                group.create_task(connection())
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    sent.seconds = time.perf_counter() - started
    return sent


def memory_kb(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of the process, in kB (KiB), from ``/proc/<pid>/status``."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    if len(found) != 2:
        raise BenchError(f"no VmRSS / VmHWM in /proc/{pid}/status")
    return found


def _mb(kb: int) -> float:
    return round(kb * 1024 / 1e6, 1)


def children(pid: int) -> list[int]:
    """The process's child processes (every thread's), from ``/proc``."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


@dataclass(slots=True)
class MemoryTrace:
    """The server's memory around one phase: ``VmHWM`` and ``VmRSS`` before and right after,
    and the largest ``VmRSS`` sampled every ``RSS_SAMPLE_S`` in between."""

    pid: int
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    sampled_peak_kb: int = 0
    samples: int = 0

    def sample(self) -> None:
        self.sampled_peak_kb = max(self.sampled_peak_kb, memory_kb(self.pid)["VmRSS"])
        self.samples += 1

    @property
    def peak_mb(self) -> float:
        return _mb(self.after["VmHWM"])

    def detail(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "before_hwm_mb": _mb(self.before["VmHWM"]),
            "before_rss_mb": _mb(self.before["VmRSS"]),
            "after_hwm_mb": _mb(self.after["VmHWM"]),
            "after_rss_mb": _mb(self.after["VmRSS"]),
            "sampled_peak_rss_mb": _mb(self.sampled_peak_kb),
            "samples": self.samples,
            "added_mb": round(_mb(self.after["VmHWM"]) - _mb(self.before["VmHWM"]), 1),
        }


@asynccontextmanager
async def traced_memory(pid: int) -> AsyncIterator[MemoryTrace]:
    """Samples the process's memory while the body runs (see ``MemoryTrace``)."""
    trace = MemoryTrace(pid, before=memory_kb(pid))

    async def sampler() -> None:
        while True:
            trace.sample()
            await asyncio.sleep(RSS_SAMPLE_S)

    sampling = asyncio.create_task(sampler())
    try:
        yield trace
    finally:
        sampling.cancel()
        await asyncio.gather(sampling, return_exceptions=True)
        trace.sample()
        trace.after = memory_kb(pid)


async def import_seconds(
    service: Service, path: Path, workspace: str, count: int, *options: str
) -> float:
    env = os.environ | {"TIERLINE_DATABASE_URL": service.database_url}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(tierline_executable()),
        "import",
        str(path),
        "--workspace",
        workspace,
        *options,
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), PHASE_BUDGET_S)
    except TimeoutError as error:
        process.kill()
        await process.wait()
        raise BenchError(f"tierline import took over {PHASE_BUDGET_S:.0f} s") from error
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(f"tierline import exited {process.returncode}: {err.decode()[-1000:]}")
    found = COUNTS.search(out.decode())
    created = int(found.group(1).replace(",", "")) if found else -1
    if created != count:
        raise BenchError(f"tierline import did not create every event: {out.decode()[-500:]}")
    return seconds


async def history_rows(database_url: str, slugs: tuple[str, ...]) -> dict[str, list[int]]:
    """Per workspace, its tier and segment history rows."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return {
            slug: [
                await connection.fetchval(
                    f"SELECT count(*) FROM {table} h JOIN workspaces w "  # noqa: S608
                    "ON w.id = h.workspace_id WHERE w.slug = $1",
                    slug,
                )
                for table in ("tier_history", "segment_history")
            ]
            for slug in slugs
        }
    finally:
        await connection.close()


async def compare_customers(
    service: Service, keys: dict[str, str], customer_ids: list[str]
) -> list[str]:
    """How the sampled customers differ between the workspaces: traits, metrics, tiers and
    segments (not the times they were created, updated, or got a tier or segment, which are
    when each workspace was loaded, nor the RFM scores, which are as of each workspace's last
    RFM refresh)."""
    mismatches = []
    async with service.client() as client:

        async def get(path: str, key: str) -> Any:
            response = await client.get(path, headers={"Authorization": f"Bearer {key}"})
            if response.status_code != 200:
                raise BenchError(f"GET {path} answered {response.status_code}")
            return response.json()

        for customer_id in customer_ids:
            seen = {}
            for name, key in keys.items():
                body = await get(f"/v1/customers/{customer_id}", key)
                segments = (await get(f"/v1/customers/{customer_id}/segments", key))["items"]
                seen[name] = {
                    k: v
                    for k, v in body.items()
                    if k not in ("created_at", "updated_at", "tiers", "metrics")
                } | {
                    "metrics": {k: v for k, v in body["metrics"].items() if k not in RFM_METRICS},
                    "tiers": {s: t["tier"] for s, t in body["tiers"].items()},
                    "segments": sorted(segment["key"] for segment in segments),
                }
            first, *others = seen.items()
            mismatches += [
                f"{customer_id}: {name} differs from {first[0]} in "
                + ", ".join(_differences(first[1], body))
                for name, body in others
                if body != first[1]
            ]
    return mismatches


def _differences(one: Any, other: Any, path: str = "") -> list[str]:
    """The dotted paths where two JSON values differ, with both values at each."""
    if isinstance(one, dict) and isinstance(other, dict):
        return [
            difference
            for name in sorted(one.keys() | other.keys())
            for difference in _differences(
                one.get(name), other.get(name), f"{path}.{name}" if path else name
            )
        ]
    return [] if one == other else [f"{path} {one!r} / {other!r}"]


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


async def run(context: Context, result: BenchmarkResult) -> None:
    count = context.scaled(EVENTS, minimum=BATCH_SIZE)
    customers = context.scaled(CUSTOMERS, minimum=100)
    import_count = context.scaled(IMPORT_EVENTS, minimum=count)
    import_customers = context.scaled(IMPORT_CUSTOMERS, minimum=customers)
    normal_count = min(count, context.scaled(NORMAL_EVENTS, minimum=BATCH_SIZE))
    result.details["parameters"] = {
        "events": count,
        "customers": customers,
        "import_events": import_count,
        "import_customers": import_customers,
        "normal_batch_events": normal_count,
        "span_days": SPAN.days,
        "batch_size": BATCH_SIZE,
        "normal_batch_connections": NORMAL_CONNECTIONS,
        "copy_runs": COPY_RUNS,
        "schemes": SCHEMES,
        "segments": SEGMENTS,
    }
    now = datetime.now(UTC)
    events = list(history(count, customers, now, random.Random(5)))
    with tempfile.TemporaryDirectory(prefix="tierline-bench-") as folder:
        path = Path(folder) / "history.ndjson"
        write_ndjson(
            path,
            import_history(
                events, customers, import_count, import_customers, now, random.Random(6)
            ),
        )
        result.details["file_bytes"] = path.stat().st_size

        async with running_service(context.database_server) as service:
            _progress(
                f"service ready at {service.base_url} (pid {service.pid}); {count:,} events "
                f"over {customers:,} customers, {import_count:,} over {import_customers:,} "
                "to import"
            )
            if children(service.pid):
                raise BenchError(
                    f"tierline serve (pid {service.pid}) has child processes "
                    f"{children(service.pid)}: its own RSS is not the server's"
                )
            async with service.client() as client:
                keys = {
                    name: await new_workspace(client, f"bench-{name}")
                    for name in ("normal", "backfill", "import", "import-flat", "staged")
                }
            copies = await copy_seconds(service.database_url, events)
            copy_s = statistics.median(copies)
            _progress(f"COPY of the batch history: {copy_s:.2f} s (median of {COPY_RUNS})")
            async with traced_memory(service.pid) as memory:
                normal = await batch_seconds(
                    service, keys["normal"], events[:normal_count], "normal", NORMAL_CONNECTIONS
                )
            normal_s = normal.seconds
            _progress(
                f"normal batch: {normal_s:.1f} s for {normal_count:,} events from "
                f"{NORMAL_CONNECTIONS} connections; server peak RSS {memory.peak_mb:.0f} MB"
            )
            await batch_seconds(service, keys["normal"], events[normal_count:], "backfill")
            backfill = await batch_seconds(service, keys["backfill"], events, "backfill")
            backfill_s = backfill.seconds
            after_backfill = memory_kb(service.pid)
            _progress(f"backfill batch: {backfill_s:.1f} s")
            import_copies = await copy_seconds(service.database_url, read_ndjson(path))
            import_copy_s = statistics.median(import_copies)
            _progress(f"COPY of the import's file: {import_copy_s:.2f} s (median of {COPY_RUNS})")
            staged_rows = staged_sql.staged_rows(read_ndjson(path))
            staged_s = await staged_sql.staged_sql_seconds(
                service.database_url, "bench-staged", staged_rows, VIP_SPEND
            )
            del staged_rows
            _progress(f"the staged SQL pipeline alone: {staged_s:.1f} s")
            flat_s = await import_seconds(
                service, path, "bench-import-flat", import_count, "--no-history"
            )
            _progress(f"tierline import --no-history: {flat_s:.1f} s")
            import_s = await import_seconds(service, path, "bench-import", import_count)
            _progress(f"tierline import: {import_s:.1f} s")
            rebuilt = await history_rows(
                service.database_url, ("bench-import", "bench-import-flat")
            )
            tiers = {
                slug: await staged_sql.tier_counts(service.database_url, slug)
                for slug in ("bench-staged", "bench-import")
            }
            sample = sorted(
                {e["customer_id"] for e in events[:: max(1, count // SAMPLE_CUSTOMERS)]}
            )
            mismatches = await compare_customers(service, keys, sample)

    timed = {
        "copy": (count, copy_s),
        "import_copy": (import_count, import_copy_s),
        "normal_batch": (normal_count, normal_s),
        "backfill_batch": (count, backfill_s),
        "import": (import_count, import_s),
        "import_flat": (import_count, flat_s),
        "staged_sql": (import_count, staged_s),
    }
    rates = {name: _rate(rows, seconds) for name, (rows, seconds) in timed.items()}
    # Each Tierline way's baseline: the COPY of the same rows.
    copy_of = {"normal_batch": "copy", "backfill_batch": "copy", "import": "import_copy"}
    result.details["seconds"] = {
        "copy_runs": [round(s, 3) for s in copies],
        "import_copy_runs": [round(s, 3) for s in import_copies],
        "normal_batch": round(normal_s, 2),
        "backfill_batch": round(backfill_s, 2),
        "import": round(import_s, 2),
        "import_flat": round(flat_s, 2),
        "staged_sql": round(staged_s, 2),
    }
    result.details["history_rows"] = rebuilt
    result.details["retries_after_503"] = {
        "normal_batch": normal.retries,
        "backfill_batch": backfill.retries,
    }
    result.details["rows_per_second"] = {name: round(rate) for name, rate in rates.items()}
    per_event = {name: 1e6 / rate for name, rate in rates.items()}

    def figure(name: str, label: str, measured: str, baseline: str, target: float | None) -> Figure:
        return Figure(
            name=name,
            label=label,
            unit="us/event",
            measured=round(per_event[measured], 2),
            baseline=round(per_event[baseline], 2),
            target=target,
            measured_detail={"events": timed[measured][0]},
            baseline_detail={"events": timed[baseline][0]},
        )

    result.figures += [
        figure(
            "import_vs_staged_sql",
            "tierline import vs the staged SQL alone",
            "import",
            "staged_sql",
            1 / IMPORT_TARGET,
        ),
        figure(
            "import_history_vs_flat",
            "tierline import vs the same import with --no-history",
            "import",
            "import_flat",
            HISTORY_TARGET,
        ),
        figure("import_vs_copy", "tierline import vs COPY", "import", "import_copy", None),
        figure(
            "backfill_batch_vs_copy",
            "backfill batch vs COPY",
            "backfill_batch",
            "copy",
            None,
        ),
        figure(
            "normal_batch_vs_copy",
            "normal batch vs COPY",
            "normal_batch",
            "copy",
            1 / BATCH_TARGET,
        ),
        figure(
            "backfill_vs_normal_batch",
            "backfill batch vs normal batch",
            "backfill_batch",
            "normal_batch",
            1 / SPEEDUP_TARGET,
        ),
        Figure(
            name="batch_peak_rss",
            label="peak RSS of tierline serve, normal batch",
            unit="MB",
            measured=memory.peak_mb,
            baseline=RSS_BUDGET_MB,
            target=1.0,
            measured_detail=memory.detail(),
            baseline_detail={"budget_mb": RSS_BUDGET_MB},
        ),
    ]
    result.details["server_memory"] = memory.detail() | {
        "after_backfill_batch_hwm_mb": _mb(after_backfill["VmHWM"]),
        "after_backfill_batch_rss_mb": _mb(after_backfill["VmRSS"]),
    }

    def verdict(value: float, target: float) -> str:
        return "PASS" if value >= target else "FAIL"

    share = {name: rates[name] / rates[copy] for name, copy in copy_of.items()}
    of_staged = rates["import"] / rates["staged_sql"]
    staged_share = rates["staged_sql"] / rates["import_copy"]
    history_cost = import_s / flat_s
    speedup = rates["backfill_batch"] / rates["normal_batch"]
    result.notes += [
        f"COPY rows/s: batch history ({count:,} rows) {rates['copy']:,.0f}, import's file "
        f"({import_count:,} rows) {rates['import_copy']:,.0f}",
        "rows/s, and as a share of the COPY of the same rows: "
        + ", ".join(
            f"{name.replace('_', ' ')} {rates[name]:,.0f} ({share[name]:.3f}x)" for name in copy_of
        ),
        f"target (issue 24) import >= {IMPORT_TARGET}x the rows/s of the staged SQL pipeline "
        f"alone ({rates['staged_sql']:,.0f} rows/s, {staged_share:.3f}x COPY): "
        f"{of_staged:.3f}x {verdict(of_staged, IMPORT_TARGET)}",
        f"target (issue 28) import, history rebuilt, <= {HISTORY_TARGET:g}x the time of the "
        f"same import with --no-history ({flat_s:.1f} s): {history_cost:.2f}x "
        f"{'PASS' if history_cost <= HISTORY_TARGET else 'FAIL'}; history rows (tiers, "
        f"segments) {rebuilt}",
        f"target (issue 11) normal batch >= {BATCH_TARGET}x the rows/s of COPY of the batch "
        f"history: {share['normal_batch']:.3f}x {verdict(share['normal_batch'], BATCH_TARGET)}",
        f"target (issue 5) backfill batch >= {SPEEDUP_TARGET:g}x the normal batch's rows/s: "
        f"{speedup:.1f}x {verdict(speedup, SPEEDUP_TARGET)}",
        "the import's time is the whole command: start-up, migration check, reading, "
        "validating and storing",
        f"batch history {count:,} events over {customers:,} customers; the import's file "
        f"{import_count:,} over {import_customers:,}, the batch history merged with "
        f"{import_count - count:,} more events over {import_customers - customers:,} further "
        f"customers; schemes {', '.join(SCHEMES)} and segment {', '.join(SEGMENTS)} active in "
        f"every workspace; the normal batch timed on the first {normal_count:,} from "
        f"{NORMAL_CONNECTIONS} connections, the backfill batch from 1; customers compared on a "
        f"sample of {len(sample)} of the batch history's",
        f"server peak RSS (VmHWM) over the normal batch {memory.peak_mb:.0f} MB against the "
        f"{RSS_BUDGET_MB:.0f} MB budget {'PASS' if memory.peak_mb <= RSS_BUDGET_MB else 'FAIL'}"
        f" (before it {_mb(memory.before['VmHWM']):.0f} MB, RSS {_mb(memory.before['VmRSS']):.0f}"
        f" MB; right after RSS {_mb(memory.after['VmRSS']):.0f} MB; after the backfill batch "
        f"VmHWM {_mb(after_backfill['VmHWM']):.0f} MB)",
    ]
    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {count:,} events, not {EVENTS:,}, and {import_count:,} "
            f"imported, not {IMPORT_EVENTS:,}; a smoke run, the verdict needs scale 1"
        )
    result.details["tier_counts"] = tiers
    if tiers["bench-staged"] != tiers["bench-import"]:
        mismatches.append(
            f"the staged SQL baseline's tiers {tiers['bench-staged']} differ from the import's "
            f"{tiers['bench-import']}"
        )
    result.details["sample_mismatches"] = mismatches
    if mismatches:
        result.error = "the workspaces' customers differ: " + "; ".join(mismatches[:5])


BENCHMARK = Benchmark(
    name="backfill",
    title="Loading history: import and backfill batches against COPY",
    run=run,
)
