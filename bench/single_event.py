"""Single events under concurrent load: ``POST /v1/events`` against one INSERT per request.

From the issue, the benchmark "single event":

- measured: ``POST /v1/events``, 32 concurrent connections, 20,000 customers, two schemes and
  one saved segment active: events/s; p50 and p99 latency at 32 and at 8 connections;
- baseline: a minimal FastAPI + asyncpg endpoint in the same bench that inserts one row per
  request, under the same load;
- target: ≥ 0.5 of the baseline's events/s at 32 connections; at 8 connections, median latency
  ≤ 2x the baseline's (p99 printed beside the baseline's: on shared machines even the
  baseline's p99 swings widely).

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

The baseline is ``POST /events`` of ``bench.baseline_sql`` (its own uvicorn process, Tierline's
pool size): the same JSON body, one ``INSERT`` of its columns into a bare table with a primary
key. Tierline and the baseline run alternately, at 32 and then 8 connections, for ``ROUNDS``
rounds, the order swapped every round, so drift falls on both sides. Every Tierline response
must be a 201, the events stored must be exactly those answered 201, and both schemes and the
segment must have moved customers because of them; otherwise the run fails.

Figures: time per event (1 / events/s, so a ratio of at most 2 is at least half the baseline's
events/s) at 32 connections, median latency at 8 connections (target ≤ 2), and for
information time per event at 8 and p50 at 32 and p99 at both.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from app.db.url import asyncpg_dsn
from app.settings import Settings
from bench.baseline_sql import EVENTS_TABLE
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.segments import running_baseline
from bench.service import ROOT, Service, running_service, wait_for_job
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
"""Time per event at most twice the baseline's: at least half its events/s."""
LATENCY_TARGET = 2.0
JOB_TIMEOUT_S = 120.0
LOAD_TIMEOUT_S = 120.0
EVENT_PREFIX = "load-"
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

    @property
    def rate(self) -> float:
        return self.completed / self.window_s if self.window_s > 0 else 0.0


class _Bodies:
    """Request bodies: orders with fresh event ids for random customers, built from bytes."""

    def __init__(self, load: Load) -> None:
        rng = random.Random(load.seed)
        self.prefix = load.prefix.encode()
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
            b'{"event_id":"%s%d","customer_id":"cust-%05d","type":"order","occurred_at":"%s",'
            b'"amount":"%d.%02d","properties":{"channel":"%s"}}'
            % (
                self.prefix,
                self.serial,
                customer,
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


async def _raw_connection(load: Load, bodies: _Bodies, clock: _Clock, result: LoadResult) -> None:
    """One kept-alive HTTP/1.1 connection sending requests back to back until the end."""
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
            writer.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            response_head = await reader.readuntil(b"\r\n\r\n")
            lowered = response_head.lower()
            at = lowered.find(b"\r\ncontent-length:")
            if at < 0:
                raise BenchError(f"a response without Content-Length: {response_head!r}")
            length = int(lowered[at + 17 : lowered.index(b"\r\n", at + 2)])
            answer = await reader.readexactly(length)
            _note(result, clock, started, int(response_head[9:12]), answer)
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
        await asyncio.gather(
            *(_raw_connection(load, bodies, clock, result) for _ in range(load.connections))
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
        out, err = await asyncio.wait_for(process.communicate(), LOAD_TIMEOUT_S)
    except TimeoutError as error:
        process.kill()
        await process.wait()
        raise BenchError(f"the load generator took over {LOAD_TIMEOUT_S:.0f} s") from error
    if process.returncode != 0:
        raise BenchError(f"the load generator exited {process.returncode}: {err.decode()[-2000:]}")
    document = json.loads(out)
    document["statuses"] = Counter({int(code): n for code, n in document["statuses"].items()})
    return LoadResult(**document)


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


async def prepare(service: Service, customers: int) -> dict[str, Any]:
    """Saves the schemes and the segment, then seeds the customers (the backfill classifies
    them, set-based); returns what they hold."""
    events = history(customers, datetime.now(UTC), random.Random(SEED))
    started = time.perf_counter()
    async with service.client(timeout_s=300.0) as client:
        for key, scheme in SCHEMES.items():
            await save(client, f"/v1/schemes/{key}", scheme)
        await save(client, f"/v1/segments/{SEGMENT_KEY}", SEGMENT)
        await seed(client, events)
    seconds = time.perf_counter() - started
    _progress(f"schemes and segment saved, {len(events):,} past orders seeded in {seconds:.1f} s")
    return {"past_orders": len(events), "setup_seconds": round(seconds, 1)} | await _state(
        service.database_url
    )


async def _state(database_url: str) -> dict[str, Any]:
    """Tier and segment counts, and what the load's events changed."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tiers = await conn.fetch(
            "SELECT scheme_key, tier, count(*) AS n FROM customer_tiers GROUP BY 1, 2 ORDER BY 1, 2"
        )
        members = await conn.fetchval("SELECT count(*) FROM segment_members")
        stored = await conn.fetchval(
            "SELECT count(*) FROM events WHERE event_id LIKE $1", EVENT_PREFIX + "%"
        )
        moves = await conn.fetch(
            "SELECT scheme_key, count(*) AS n FROM tier_history WHERE reason = 'event' "
            "GROUP BY 1 ORDER BY 1"
        )
        segment_moves = await conn.fetch(
            "SELECT change, count(*) AS n FROM segment_history WHERE reason = 'event' "
            "GROUP BY 1 ORDER BY 1"
        )
    finally:
        await conn.close()
    return {
        "tiers": {f"{row['scheme_key']}.{row['tier']}": row["n"] for row in tiers},
        "segment_members": members,
        "load_events_stored": stored,
        "tier_changes_by_event": {row["scheme_key"]: row["n"] for row in moves},
        "segment_changes_by_event": {row["change"]: row["n"] for row in segment_moves},
    }


async def settle(database_url: str) -> None:
    """VACUUM ANALYZE after the seeding, so no autovacuum of the fresh rows runs during the
    first runs, and creates the baseline's table."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute(EVENTS_TABLE)
    finally:
        await conn.close()


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
    """(side, connections) in running order: each load in turn, the sides' order swapped
    every round."""
    order = []
    for index in range(rounds):
        sides = ("tierline", "baseline") if index % 2 == 0 else ("baseline", "tierline")
        order += [(side, connections) for connections in CONNECTIONS for side in sides]
    return order


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
    }
    sides: dict[tuple[str, int], Side] = {
        (side, n): Side() for side in ("tierline", "baseline") for n in CONNECTIONS
    }
    tierline_statuses: Counter[int] = Counter()
    baseline_statuses: Counter[int] = Counter()
    responses_with_changes = 0
    first_error = ""

    async with running_service(context.database_server) as service:
        _progress(f"service ready at {service.base_url}; {customers:,} customers")
        result.details["setup"] = await prepare(service, customers)
        await settle(service.database_url)
        async with running_baseline(service.database_url, pool_size) as baseline:
            _progress(f"baseline ready at {baseline.base_url} (pool size {pool_size})")
            targets = {
                "tierline": (service.base_url, "/v1/events"),
                "baseline": (str(baseline.base_url).rstrip("/"), "/events"),
            }
            for number, (side, connections) in enumerate(_schedule(ROUNDS)):
                base_url, path = targets[side]
                load = Load(
                    base_url=base_url,
                    path=path,
                    key=service.key,
                    connections=connections,
                    warmup_s=WARMUP_S,
                    measure_s=measure_s,
                    prefix=f"{EVENT_PREFIX}{number}-",
                    customers=customers,
                    seed=SEED + number,
                )
                measured = await drive(load)
                if not measured.latencies_s:
                    raise BenchError(f"{side} at {connections} connections: no request completed")
                sides[side, connections].add(measured)
                if side == "tierline":
                    tierline_statuses += measured.statuses
                    responses_with_changes += measured.with_tier_changes
                else:
                    baseline_statuses += measured.statuses
                first_error = first_error or measured.first_error
                _progress(
                    f"{side} at {connections}: {measured.rate:,.0f} events/s, p50 "
                    f"{percentile(measured.latencies_s, 0.5) * 1000:.1f} ms, p99 "
                    f"{percentile(measured.latencies_s, 0.99) * 1000:.1f} ms"
                )
        after = await _state(service.database_url)

    def figure(name: str, label: str, connections: int, fraction: float | None) -> Figure:
        tierline, hand = sides["tierline", connections], sides["baseline", connections]
        if fraction is None:
            unit, measured, base = "us/event", 1e6 / tierline.rate, 1e6 / hand.rate
        else:
            unit, measured, base = "ms", tierline.ms(fraction), hand.ms(fraction)
        return Figure(
            name=name,
            label=label,
            unit=unit,
            measured=round(measured, 2),
            baseline=round(base, 2),
            target={"rate_32": RATE_TARGET, "p50_8": LATENCY_TARGET}.get(name),
            measured_detail=tierline.detail(),
            baseline_detail=hand.detail(),
        )

    result.figures += [
        figure("rate_32", "time per event (1/events/s), 32 connections", 32, None),
        figure("p50_8", "POST /v1/events p50, 8 connections", 8, 0.5),
        figure("p99_8", "POST /v1/events p99, 8 connections", 8, 0.99),
        figure("rate_8", "time per event (1/events/s), 8 connections", 8, None),
        figure("p50_32", "POST /v1/events p50, 32 connections", 32, 0.5),
        figure("p99_32", "POST /v1/events p99, 32 connections", 32, 0.99),
    ]
    for connections in CONNECTIONS:
        tierline, hand = sides["tierline", connections], sides["baseline", connections]
        result.notes.append(
            f"{connections} connections: Tierline {tierline.rate:,.0f} events/s (rounds "
            + ", ".join(f"{rate:,.0f}" for rate in tierline.round_rates)
            + f"), p50 {tierline.ms(0.5):.1f} ms, p99 {tierline.ms(0.99):.1f} ms; baseline "
            f"{hand.rate:,.0f} events/s (rounds "
            + ", ".join(f"{rate:,.0f}" for rate in hand.round_rates)
            + f"), p50 {hand.ms(0.5):.1f} ms, p99 {hand.ms(0.99):.1f} ms; Tierline at "
            f"{tierline.rate / hand.rate:.2f}x the baseline's events/s"
        )
    result.details["after"] = after
    result.details["tierline_statuses"] = {str(k): v for k, v in tierline_statuses.items()}
    result.details["baseline_statuses"] = {str(k): v for k, v in baseline_statuses.items()}
    result.details["responses_with_tier_changes"] = responses_with_changes
    moves = after["tier_changes_by_event"]
    result.notes.append(
        f"{tierline_statuses[201]:,} events sent to Tierline (warm-ups included), "
        f"{responses_with_changes:,} of them moved a tier; tier changes by event: "
        + ", ".join(f"{scheme} {n:,}" for scheme, n in moves.items())
        + "; segment "
        + ", ".join(f"{change} {n:,}" for change, n in after["segment_changes_by_event"].items())
    )
    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {customers:,} customers, not {CUSTOMERS:,}, and "
            f"{measure_s:g} s per run; a smoke run, the verdict needs scale 1"
        )

    refused = sum(n for code, n in tierline_statuses.items() if code != 201)
    if refused:
        raise BenchError(f"{refused:,} Tierline responses were not 201; the first: {first_error}")
    if any(code != 201 for code in baseline_statuses):
        raise BenchError(f"the baseline did not answer 201: {dict(baseline_statuses)}")
    if after["load_events_stored"] != tierline_statuses[201]:
        raise BenchError(
            f"Tierline answered 201 {tierline_statuses[201]:,} times but stored "
            f"{after['load_events_stored']:,} of the load's events"
        )
    if any(moves.get(key, 0) == 0 for key in SCHEMES) or not after["segment_changes_by_event"]:
        raise BenchError(f"the events moved no tier or segment: {moves}")


BENCHMARK = Benchmark(
    name="single_event",
    title="POST /v1/events under concurrent load against one INSERT per request",
    run=run,
)


if __name__ == "__main__":
    if sys.argv[1:2] != ["load"] or len(sys.argv) != 3:
        sys.exit("usage: python -m bench.single_event load JSON")
    _load_main(sys.argv[2])
