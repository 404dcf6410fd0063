"""Segment queries over a million customers: Tierline's endpoints against hand-written SQL.

1,000,000 customers of the default workspace (scale 1) are seeded straight into PostgreSQL with
COPY, not through the API: traits (``industry``, skewed over eight values; ``size`` 1 to 5;
``region``), order counts and totals (four in ten customers never ordered), refunds, and each
customer's tier in the scheme ``value`` (vip: lifetime spend of 5,000 or more; regular: at least
one order; else potential). The scheme is saved through the API first, so its reclassification
job runs on an empty workspace and the seeded tiers are the ones its rules give. Then VACUUM
ANALYZE, so both sides may use index-only scans and the planner knows the data.

Four questions go to Tierline (``POST /v1/customers/count`` and ``/v1/customers/search``) and to
a minimal FastAPI + asyncpg app (``bench.baseline_sql``, its own uvicorn process with Tierline's
pool size) that answers them with the SQL an engineer would write by hand, also over HTTP:
count by tier, count by a lifetime-spend range, count by a trait, and the first page of one
industry sorted by lifetime spend. Both sides must give the answers the seed implies. Requests
then alternate between the two, one at a time; each figure is the ratio of median latencies.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from app.db.url import asyncpg_dsn
from app.settings import Settings
from bench.baseline_sql import DATABASE_URL_VARIABLE, POOL_SIZE_VARIABLE
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import HOST, ROOT, free_port, running_service, stop_process, wait_for_job
from bench.stats import percentile, summary_ms

CUSTOMERS = 1_000_000
SEED = 8
COPY_CHUNK = 100_000
SPAN = timedelta(days=3 * 365)
"""Customers were created over this long before the seeding."""
INDUSTRIES = {
    "retail": 28,
    "services": 20,
    "software": 14,
    "machinery": 12,
    "logistics": 10,
    "healthcare": 8,
    "construction": 5,
    "energy": 3,
}
"""Relative weights: a few industries hold most customers, as in a real CRM."""
REGIONS = ("north", "south", "east", "west", "central")
NO_ORDER_SHARE = 0.4
MEAN_EXTRA_ORDERS = 6.0
"""Ordering customers have 1 + an exponential number of orders with this mean."""
ORDER_VALUE_MEDIAN, ORDER_VALUE_SIGMA = 150.0, 1.0
"""Each customer's average order value is log-normal."""
REFUND_SHARE = 0.15
"""Share of ordering customers with refunds, of up to ``MAX_REFUND_FRACTION`` of their orders."""
MAX_REFUND_FRACTION = 0.3

SCHEME_KEY = "value"
VIP_SPEND = 5000
SCHEME: dict[str, Any] = {
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
}
TIER_ASKED = "vip"
SPEND_RANGE = (1000, 5000)
INDUSTRY_ASKED = "machinery"
PAGE = 100

ROUNDS = 30
MIN_ROUNDS = 5
WARMUP = 3
QUERY_BUDGET_S = 120.0
"""Measuring one question stops after this long (at least ``MIN_ROUNDS`` rounds)."""
REQUEST_TIMEOUT_S = 300.0
JOB_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 60.0
TARGET = 1.5
JSON_HEADERS = {"Content-Type": "application/json"}

CUSTOMER_COLUMNS = [
    "workspace_id",
    "customer_id",
    "traits",
    "order_count",
    "order_total",
    "refund_total",
    "first_order_at",
    "last_order_at",
    "last_event_at",
    "event_counts",
    "created_at",
    "updated_at",
]
TIER_COLUMNS = ["workspace_id", "customer_id", "scheme_key", "tier", "version", "since"]


def _progress(message: str) -> None:
    print(f"bench segments: {message}", file=sys.stderr, flush=True)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


# --- seeding ---------------------------------------------------------------------------


@dataclass(slots=True)
class Seeded:
    """What the seeded rows imply, to check both sides' answers against."""

    customers: int = 0
    tiers: Counter[str] = field(default_factory=Counter)
    industries: Counter[str] = field(default_factory=Counter)
    in_spend_range: int = 0
    asked_industry: list[tuple[int, str]] = field(default_factory=list)
    """(-spend in cents, customer id) of every customer of ``INDUSTRY_ASKED``."""

    def first_page(self) -> list[tuple[str, Decimal]]:
        """The asked industry by spend, highest first, then customer id."""
        top = heapq.nsmallest(PAGE, self.asked_industry)
        return [(customer_id, _money(-cents)) for cents, customer_id in top]


@dataclass(frozen=True, slots=True)
class Population:
    """Generates the customers of one workspace, reproducibly from ``rng``."""

    workspace_id: UUID
    version: int
    now: datetime
    rng: random.Random
    industries: tuple[str, ...] = tuple(INDUSTRIES)
    cumulative: tuple[int, ...] = tuple(itertools.accumulate(INDUSTRIES.values()))

    def rows(
        self, first: int, count: int, seeded: Seeded
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Customer rows and their tier rows for indexes ``first`` to ``first + count - 1``."""
        rng, now = self.rng, self.now
        customers, tiers = [], []
        for index in range(first, first + count):
            customer_id = f"cust-{index:08d}"
            industry = rng.choices(self.industries, cum_weights=self.cumulative)[0]
            traits = {
                "industry": industry,
                "size": rng.randint(1, 5),
                "region": rng.choice(REGIONS),
            }
            created = now - SPAN * rng.random()
            orders = order_cents = refund_cents = 0
            first_order = last_order = None
            event_counts: dict[str, int] = {}
            if rng.random() >= NO_ORDER_SHARE:
                orders = 1 + int(rng.expovariate(1 / MEAN_EXTRA_ORDERS))
                average = rng.lognormvariate(math.log(ORDER_VALUE_MEDIAN), ORDER_VALUE_SIGMA)
                order_cents = round(orders * average * 100)
                event_counts["order"] = orders
                if rng.random() < REFUND_SHARE:
                    refund_cents = rng.randint(1, max(1, int(order_cents * MAX_REFUND_FRACTION)))
                    event_counts["refund"] = 1 + rng.randrange(orders)
                first_order = created + (now - created) * rng.random() / 2
                last_order = first_order + (now - first_order) * rng.random()
            last_event = last_order or created
            spend = order_cents - refund_cents
            if spend >= VIP_SPEND * 100:
                tier = "vip"
            elif orders >= 1:
                tier = "regular"
            else:
                tier = "potential"
            customers.append(
                (
                    self.workspace_id,
                    customer_id,
                    json.dumps(traits),
                    orders,
                    _money(order_cents),
                    _money(refund_cents),
                    first_order,
                    last_order,
                    last_event,
                    json.dumps(event_counts),
                    created,
                    last_event,
                )
            )
            tiers.append(
                (self.workspace_id, customer_id, SCHEME_KEY, tier, self.version, last_event)
            )
            seeded.customers += 1
            seeded.tiers[tier] += 1
            seeded.industries[industry] += 1
            if SPEND_RANGE[0] * 100 <= spend <= SPEND_RANGE[1] * 100:
                seeded.in_spend_range += 1
            if industry == INDUSTRY_ASKED:
                seeded.asked_industry.append((-spend, customer_id))
        return customers, tiers


async def save_scheme(client: httpx.AsyncClient) -> int:
    """Saves ``SCHEME`` and waits for its reclassification job; returns its version."""
    response = await client.put(f"/v1/schemes/{SCHEME_KEY}", json=SCHEME)
    if response.status_code != 201:
        raise BenchError(f"PUT /v1/schemes answered {response.status_code}: {response.text}")
    body = response.json()
    await wait_for_job(client, body["job_id"], JOB_TIMEOUT_S)
    version: int = body["version"]
    return version


async def seed(
    conn: asyncpg.Connection, population: Population, count: int, *, vacuum: bool = True
) -> Seeded:
    """COPYs ``count`` customers and their tiers, then (unless told not to) VACUUM ANALYZE."""
    seeded = Seeded()
    started = time.perf_counter()
    for first in range(0, count, COPY_CHUNK):
        customers, tiers = population.rows(first, min(COPY_CHUNK, count - first), seeded)
        await conn.copy_records_to_table("customers", records=customers, columns=CUSTOMER_COLUMNS)
        await conn.copy_records_to_table("customer_tiers", records=tiers, columns=TIER_COLUMNS)
        _progress(
            f"copied {seeded.customers:,}/{count:,} customers in "
            f"{time.perf_counter() - started:.1f} s"
        )
    if vacuum:
        await conn.execute("VACUUM (ANALYZE) customers, customer_tiers")
        _progress(f"seeded and vacuumed in {time.perf_counter() - started:.1f} s")
    return seeded


async def workspace_of(conn: asyncpg.Connection) -> UUID:
    rows = await conn.fetch("SELECT id FROM workspaces")
    if len(rows) != 1:
        raise BenchError(f"expected the default workspace only, found {len(rows)} workspaces")
    workspace_id: UUID = rows[0]["id"]
    return workspace_id


# --- the baseline process ----------------------------------------------------------------


async def _wait_ready(process: asyncio.subprocess.Process, client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise BenchError(f"the baseline exited with code {process.returncode}")
        try:
            if (await client.get("/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise BenchError(f"the baseline was not ready within {READY_TIMEOUT_S:.0f} s")


@asynccontextmanager
async def running_baseline(database_url: str, pool_size: int) -> AsyncIterator[httpx.AsyncClient]:
    """``bench.baseline_sql`` in its own uvicorn process, ready; a client for it."""
    base_url = f"http://{HOST}:{free_port()}"
    env = os.environ | {
        DATABASE_URL_VARIABLE: asyncpg_dsn(database_url),
        POOL_SIZE_VARIABLE: str(pool_size),
    }
    with tempfile.TemporaryFile(prefix="tierline-bench-baseline-") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_sql:app",
            "--host",
            HOST,
            "--port",
            base_url.rsplit(":", 1)[1],
            "--no-access-log",
            "--log-level",
            "warning",
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            async with httpx.AsyncClient(
                base_url=base_url, timeout=REQUEST_TIMEOUT_S, trust_env=False
            ) as client:
                await _wait_ready(process, client)
                yield client
        except Exception as error:
            log.seek(0)
            output = log.read().decode(errors="replace").splitlines()[-40:]
            error.add_note("--- baseline output, last lines ---\n" + "\n".join(output))
            raise
        finally:
            await stop_process(process)


# --- the questions -----------------------------------------------------------------------


def _count(body: Any) -> int:
    return int(body["count"])


def _tierline_page(body: Any) -> list[tuple[str, Decimal]]:
    return [
        (item["customer_id"], Decimal(item["metrics"]["lifetime_spend"])) for item in body["items"]
    ]


def _baseline_page(body: Any) -> list[tuple[str, Decimal]]:
    return [(item["customer_id"], Decimal(item["spend"])) for item in body["items"]]


@dataclass(frozen=True, slots=True)
class Question:
    name: str
    label: str
    tierline_path: str
    tierline_body: dict[str, Any]
    baseline_path: str
    baseline_body: dict[str, Any]
    expected: Any
    """The answer the seed implies."""
    tierline_answer: Callable[[Any], Any] = _count
    baseline_answer: Callable[[Any], Any] = _count


def questions(workspace_id: UUID, seeded: Seeded) -> list[Question]:
    workspace = str(workspace_id)
    industry = {"field": "traits.industry", "op": "eq", "value": INDUSTRY_ASKED}
    low, high = SPEND_RANGE
    return [
        Question(
            name="count_by_tier",
            label=f"count, tiers.{SCHEME_KEY} = {TIER_ASKED}",
            tierline_path="/v1/customers/count",
            tierline_body={
                "condition": {"field": f"tiers.{SCHEME_KEY}", "op": "eq", "value": TIER_ASKED}
            },
            baseline_path="/count/tier",
            baseline_body={"workspace_id": workspace, "scheme": SCHEME_KEY, "tier": TIER_ASKED},
            expected=seeded.tiers[TIER_ASKED],
        ),
        Question(
            name="count_by_spend_range",
            label=f"count, lifetime_spend {low:,}..{high:,}",
            tierline_path="/v1/customers/count",
            tierline_body={
                "condition": {
                    "field": "metrics.lifetime_spend",
                    "op": "between",
                    "value": [low, high],
                }
            },
            baseline_path="/count/spend",
            baseline_body={"workspace_id": workspace, "low": str(low), "high": str(high)},
            expected=seeded.in_spend_range,
        ),
        Question(
            name="count_by_trait",
            label=f"count, traits.industry = {INDUSTRY_ASKED}",
            tierline_path="/v1/customers/count",
            tierline_body={"condition": industry},
            baseline_path="/count/traits",
            baseline_body={"workspace_id": workspace, "traits": {"industry": INDUSTRY_ASKED}},
            expected=seeded.industries[INDUSTRY_ASKED],
        ),
        Question(
            name="search_first_page",
            label=f"search, {INDUSTRY_ASKED} by spend desc, first {PAGE}",
            tierline_path="/v1/customers/search",
            tierline_body={
                "condition": industry,
                "sort": [{"field": "metrics.lifetime_spend", "direction": "desc"}],
                "limit": PAGE,
                "fields": ["customer_id", "metrics.lifetime_spend"],
            },
            baseline_path="/search/top-spenders",
            baseline_body={
                "workspace_id": workspace,
                "traits": {"industry": INDUSTRY_ASKED},
                "limit": PAGE,
            },
            expected=seeded.first_page(),
            tierline_answer=_tierline_page,
            baseline_answer=_baseline_page,
        ),
    ]


async def ask(client: httpx.AsyncClient, path: str, body: bytes) -> tuple[float, Any]:
    """Seconds for one request, response body read, and the decoded answer."""
    started = time.perf_counter()
    response = await client.post(path, content=body, headers=JSON_HEADERS)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise BenchError(f"POST {path} answered {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


@dataclass(slots=True)
class Samples:
    tierline: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)


def _describe(answer: Any) -> str:
    if isinstance(answer, list):
        return f"{answer[:3]!r}... ({len(answer)} rows)"
    return str(answer)


async def measure(
    question: Question, tierline: httpx.AsyncClient, baseline: httpx.AsyncClient
) -> Samples:
    """Checks both answers, warms up, then alternates which side goes first every round."""
    tierline_body = json.dumps(question.tierline_body).encode()
    baseline_body = json.dumps(question.baseline_body).encode()

    async def pair(tierline_first: bool) -> tuple[float, float]:
        sides = [
            (tierline, question.tierline_path, tierline_body, question.tierline_answer),
            (baseline, question.baseline_path, baseline_body, question.baseline_answer),
        ]
        timings = []
        for client, path, body, answer_of in sides if tierline_first else sides[::-1]:
            seconds, answer = await ask(client, path, body)
            if answer_of(answer) != question.expected:
                side = "Tierline" if client is tierline else "the baseline"
                raise BenchError(
                    f"{question.name}: {side} answered {_describe(answer_of(answer))}, the "
                    f"seed implies {_describe(question.expected)}"
                )
            timings.append(seconds)
        return (timings[0], timings[1]) if tierline_first else (timings[1], timings[0])

    warmup = [sum(await pair(index % 2 == 0)) for index in range(WARMUP)]
    rounds = max(MIN_ROUNDS, min(ROUNDS, int(QUERY_BUDGET_S / statistics.median(warmup))))
    deadline = time.monotonic() + QUERY_BUDGET_S
    samples = Samples()
    for index in range(rounds):
        if index >= MIN_ROUNDS and time.monotonic() > deadline:
            break
        tierline_s, baseline_s = await pair(index % 2 == 0)
        samples.tierline.append(tierline_s)
        samples.baseline.append(baseline_s)
    return samples


def _detail(samples_s: list[float]) -> dict[str, Any]:
    return summary_ms(samples_s) | {"p90_ms": round(percentile(samples_s, 0.9) * 1000, 3)}


async def run(context: Context, result: BenchmarkResult) -> None:
    count = context.scaled(CUSTOMERS)
    pool_size = Settings().db_pool_size
    result.details["parameters"] = {
        "customers": count,
        "seed": SEED,
        "pool_size": pool_size,
        "rounds": ROUNDS,
        "min_rounds": MIN_ROUNDS,
        "warmup_pairs": WARMUP,
        "query_budget_s": QUERY_BUDGET_S,
    }
    async with (
        running_service(context.database_server) as service,
        service.client(timeout_s=REQUEST_TIMEOUT_S) as tierline,
    ):
        version = await save_scheme(tierline)
        _progress(f"service ready at {service.base_url}; seeding {count:,} customers")
        conn = await asyncpg.connect(asyncpg_dsn(service.database_url))
        try:
            workspace_id = await workspace_of(conn)
            population = Population(workspace_id, version, datetime.now(UTC), random.Random(SEED))
            started = time.perf_counter()
            seeded = await seed(conn, population, count)
            # The daily RFM refresh would otherwise rewrite every customer with an order in
            # the middle of the measurement: run it now, then clean up after it.
            refreshed = await tierline.post("/v1/schemes/rfm/refresh")
            if refreshed.status_code != 200:
                raise BenchError(f"RFM refresh: {refreshed.status_code} {refreshed.text[:200]}")
            await conn.execute("VACUUM (ANALYZE) customers")
            seed_s = time.perf_counter() - started
        finally:
            await conn.close()
        result.details["seed"] = {
            "seconds": round(seed_s, 1),
            "tiers": dict(seeded.tiers),
            "industries": dict(seeded.industries),
            "in_spend_range": seeded.in_spend_range,
        }
        result.notes.append(
            f"seeded {count:,} customers with COPY (seed {SEED}) in {seed_s:.1f} s, an RFM "
            "refresh and VACUUM ANALYZE included; tiers: "
            + ", ".join(f"{tier} {n:,}" for tier, n in seeded.tiers.most_common())
        )

        async with running_baseline(service.database_url, pool_size) as baseline:
            _progress(f"baseline ready at {baseline.base_url} (pool size {pool_size})")
            for question in questions(workspace_id, seeded):
                samples = await measure(question, tierline, baseline)
                measured, hand = _detail(samples.tierline), _detail(samples.baseline)
                figure = Figure(
                    name=question.name,
                    label=f"{question.label}, median",
                    unit="ms",
                    measured=measured["median_ms"],
                    baseline=hand["median_ms"],
                    target=TARGET,
                    measured_detail=measured,
                    baseline_detail=hand,
                )
                result.figures.append(figure)
                line = (
                    f"{question.name}: Tierline median {measured['median_ms']:.2f} ms (p90 "
                    f"{measured['p90_ms']:.2f}), SQL median {hand['median_ms']:.2f} ms (p90 "
                    f"{hand['p90_ms']:.2f}), ratio {figure.ratio:.2f}, "
                    f"{len(samples.tierline)} rounds"
                )
                result.notes.append(line)
                _progress(line)
                answer = question.expected
                result.details.setdefault("answers", {})[question.name] = (
                    answer if isinstance(answer, int) else f"{len(answer)} rows"
                )

    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {count:,} customers, not {CUSTOMERS:,}; a smoke run, the "
            "verdict needs scale 1"
        )


BENCHMARK = Benchmark(
    name="segments",
    title="Segment queries over a million customers against hand-written SQL",
    run=run,
)
