"""Loading history: the backfill path against COPY of the same rows.

One history (200,000 events over 50,000 customers at scale 1: orders, refunds and visits over
three years, in time order, as a CRM exports them) is loaded four ways into one running server's
database, each into its own workspace:

(a) the baseline: asyncpg ``COPY`` of the same rows into a bare table with a primary key;
(b) ``POST /v1/events/batch``, 1,000 events per request, normal mode, on the first 30,000
    events (its cost per event does not depend on how many come after; the rest follow in
    backfill mode, untimed, so that the workspaces can be compared);
(c) the same requests with ``"mode": "backfill"``, all the events;
(d) ``tierline import`` of the same rows as an NDJSON file (the whole command, start-up and
    migration check included).

The figures are microseconds per event against COPY's (the ratio of rows/s, inverted), and
backfill against the normal batch; the notes give rows/s and the targets as shares of COPY's
rows/s. The customers the three Tierline workspaces end with are compared on a sample.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.db.url import asyncpg_dsn
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import ROOT, Service, running_service, tierline_executable

EVENTS = 200_000
CUSTOMERS = 50_000
NORMAL_EVENTS = 30_000
"""The normal batch path is timed on this many (scaled) of the events."""
SPAN = timedelta(days=3 * 365)
ORDER_SHARE, REFUND_SHARE = 0.80, 0.05
"""The rest are visits."""
TRAIT_SHARE = 0.1
BATCH_SIZE = 1_000
COPY_RUNS = 3
SAMPLE_CUSTOMERS = 50
IMPORT_TARGET = 0.5
"""issue 11: ``tierline import`` at least half COPY's rows/s."""
BACKFILL_TARGET = 0.25
"""issue 11: the backfill batch at least a quarter of COPY's rows/s."""
SPEEDUP_TARGET = 3.0
"""issue 5: backfill "several times faster" than the normal batch path."""
PHASE_BUDGET_S = 900.0
CHANNELS = ("web", "store", "phone")
REGIONS = ("north", "south", "east", "west")
COUNTS = re.compile(r"([\d,]+) created, ([\d,]+) duplicate, ([\d,]+) rejected")


def _progress(message: str) -> None:
    print(f"bench backfill: {message}", file=sys.stderr, flush=True)


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def history(count: int, customers: int, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` events over ``customers`` customers, oldest first."""
    span_s = int(SPAN.total_seconds())
    start = now - SPAN - timedelta(hours=1)
    events = []
    for index, offset in enumerate(sorted(rng.randrange(span_s) for _ in range(count))):
        event: dict[str, Any] = {
            "event_id": f"ev-{index}",
            "customer_id": f"cust-{rng.randrange(customers)}",
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
        events.append(event)
    return events


def _batches(events: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(events), BATCH_SIZE):
        yield events[start : start + BATCH_SIZE]


async def copy_seconds(database_url: str, events: list[dict[str, Any]]) -> list[float]:
    """Seconds of each COPY of the rows into a fresh bare table with a primary key."""
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
    response = await client.post("/v1/workspaces", json={"slug": slug, "name": slug})
    if response.status_code != 201:
        raise BenchError(f"POST /v1/workspaces answered {response.status_code}: {response.text}")
    return str(response.json()["admin_key"]["key"])


async def batch_seconds(
    service: Service, key: str, events: list[dict[str, Any]], mode: str
) -> float:
    """Seconds to send the events, 1,000 per request, one request at a time."""
    async with httpx.AsyncClient(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=300.0,
        trust_env=False,
    ) as client:
        bodies = [
            json.dumps({"events": batch, "mode": mode}).encode() for batch in _batches(events)
        ]
        started = time.perf_counter()
        deadline = time.monotonic() + PHASE_BUDGET_S
        for number, body in enumerate(bodies, start=1):
            if time.monotonic() > deadline:
                raise BenchError(f"{mode} batches took over {PHASE_BUDGET_S:.0f} s")
            response = await client.post("/v1/events/batch", content=body)
            if response.status_code != 200:
                raise BenchError(
                    f"{mode} batch answered {response.status_code}: {response.text[:500]}"
                )
            refused = [r for r in response.json()["results"] if r["status"] != "created"]
            if refused:
                raise BenchError(f"a {mode} batch did not create every event: {refused[:1]}")
            if number % 50 == 0:
                _progress(f"{mode}: {number * BATCH_SIZE:,}/{len(events):,} events")
        return time.perf_counter() - started


async def import_seconds(service: Service, path: Path, workspace: str, count: int) -> float:
    env = os.environ | {"TIERLINE_DATABASE_URL": service.database_url}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        str(tierline_executable()),
        "import",
        str(path),
        "--workspace",
        workspace,
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


async def compare_customers(
    service: Service, keys: dict[str, str], customer_ids: list[str]
) -> list[str]:
    """How the sampled customers differ between the workspaces (created/updated times aside)."""
    mismatches = []
    async with service.client() as client:
        for customer_id in customer_ids:
            seen = {}
            for name, key in keys.items():
                response = await client.get(
                    f"/v1/customers/{customer_id}", headers={"Authorization": f"Bearer {key}"}
                )
                if response.status_code != 200:
                    raise BenchError(f"GET /v1/customers answered {response.status_code}")
                body = response.json()
                seen[name] = {
                    k: v for k, v in body.items() if k not in ("created_at", "updated_at")
                }
            first, *others = seen.items()
            mismatches += [
                f"{customer_id}: {name} differs from {first[0]}"
                for name, body in others
                if body != first[1]
            ]
    return mismatches


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


async def run(context: Context, result: BenchmarkResult) -> None:
    count = context.scaled(EVENTS, minimum=BATCH_SIZE)
    customers = context.scaled(CUSTOMERS, minimum=100)
    normal_count = min(count, context.scaled(NORMAL_EVENTS, minimum=BATCH_SIZE))
    result.details["parameters"] = {
        "events": count,
        "customers": customers,
        "normal_batch_events": normal_count,
        "span_days": SPAN.days,
        "batch_size": BATCH_SIZE,
        "copy_runs": COPY_RUNS,
    }
    events = history(count, customers, datetime.now(UTC), random.Random(5))
    with tempfile.TemporaryDirectory(prefix="tierline-bench-") as folder:
        path = Path(folder) / "history.ndjson"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
        result.details["file_bytes"] = path.stat().st_size

        async with running_service(context.database_server) as service:
            _progress(
                f"service ready at {service.base_url}; {count:,} events, {customers:,} customers"
            )
            async with service.client() as client:
                keys = {
                    name: await new_workspace(client, f"bench-{name}")
                    for name in ("normal", "backfill", "import")
                }
            copies = await copy_seconds(service.database_url, events)
            copy_s = statistics.median(copies)
            _progress(f"COPY: {copy_s:.2f} s (median of {COPY_RUNS})")
            normal_s = await batch_seconds(service, keys["normal"], events[:normal_count], "normal")
            _progress(f"normal batch: {normal_s:.1f} s for {normal_count:,} events")
            await batch_seconds(service, keys["normal"], events[normal_count:], "backfill")
            backfill_s = await batch_seconds(service, keys["backfill"], events, "backfill")
            _progress(f"backfill batch: {backfill_s:.1f} s")
            import_s = await import_seconds(service, path, "bench-import", count)
            _progress(f"tierline import: {import_s:.1f} s")
            sample = sorted(
                {e["customer_id"] for e in events[:: max(1, count // SAMPLE_CUSTOMERS)]}
            )
            mismatches = await compare_customers(service, keys, sample)

    rates = {
        "copy": _rate(count, copy_s),
        "normal_batch": _rate(normal_count, normal_s),
        "backfill_batch": _rate(count, backfill_s),
        "import": _rate(count, import_s),
    }
    result.details["seconds"] = {
        "copy_runs": [round(s, 3) for s in copies],
        "normal_batch": round(normal_s, 2),
        "backfill_batch": round(backfill_s, 2),
        "import": round(import_s, 2),
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
        )

    result.figures += [
        figure("import_vs_copy", "tierline import vs COPY", "import", "copy", 1 / IMPORT_TARGET),
        figure(
            "backfill_batch_vs_copy",
            "backfill batch vs COPY",
            "backfill_batch",
            "copy",
            1 / BACKFILL_TARGET,
        ),
        figure("normal_batch_vs_copy", "normal batch vs COPY", "normal_batch", "copy", None),
        figure(
            "backfill_vs_normal_batch",
            "backfill batch vs normal batch",
            "backfill_batch",
            "normal_batch",
            1 / SPEEDUP_TARGET,
        ),
    ]

    def verdict(value: float, target: float) -> str:
        return "PASS" if value >= target else "FAIL"

    share = {name: rate / rates["copy"] for name, rate in rates.items()}
    speedup = rates["backfill_batch"] / rates["normal_batch"]
    result.notes += [
        "rows/s: "
        + ", ".join(
            f"{name.replace('_', ' ')} {rate:,.0f} ({share[name]:.2f}x COPY)"
            for name, rate in rates.items()
        ),
        f"target (issue 11) import >= {IMPORT_TARGET}x COPY rows/s: {share['import']:.2f}x "
        f"{verdict(share['import'], IMPORT_TARGET)}",
        f"target (issue 11) backfill batch >= {BACKFILL_TARGET}x COPY rows/s: "
        f"{share['backfill_batch']:.2f}x {verdict(share['backfill_batch'], BACKFILL_TARGET)}",
        f"target (issue 5) backfill batch >= {SPEEDUP_TARGET:g}x the normal batch's rows/s: "
        f"{speedup:.1f}x {verdict(speedup, SPEEDUP_TARGET)}",
        "the import's time is the whole command: start-up, migration check, reading, "
        "validating and storing",
        f"{count:,} events over {customers:,} customers; the normal batch timed on the first "
        f"{normal_count:,}",
    ]
    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {count:,} events, not {EVENTS:,}; a smoke run, the "
            "verdict needs scale 1"
        )
    result.details["sample_mismatches"] = mismatches
    if mismatches:
        result.error = "the workspaces' customers differ: " + "; ".join(mismatches[:5])


BENCHMARK = Benchmark(
    name="backfill",
    title="Loading history: import and backfill batches against COPY",
    run=run,
)
