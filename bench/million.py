"""The million customers that ``bench.segments`` and ``bench.reclassify`` measure on, seeded
once per run and copied for each.

1,000,000 customers of the default workspace (scale 1) are seeded straight into PostgreSQL with
COPY, not through the API: traits (``industry``, skewed over eight values; ``size`` 1 to 5;
``region``), order counts and totals (four in ten customers never ordered), refunds, and each
customer's tier in the scheme ``value`` (vip: lifetime spend of 5,000 or more; regular: at least
one order; else potential). The scheme is saved through the API first, so its reclassification
job runs on an empty workspace and the seeded tiers are the ones its rules give. The RFM scores
are then refreshed once on request (else the daily refresh would rewrite every customer in the
middle of a measurement), and VACUUM ANALYZE run, so queries may use index-only scans and the
planner knows the data.

The seeded database is a template: each benchmark runs on a file copy of it (``CREATE DATABASE
... TEMPLATE ... STRATEGY FILE_COPY``, a few seconds where the seeding takes minutes), and it is
dropped at the end of the run (``drop_templates``).
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from app.auth.keys import generate_key
from app.db.url import asyncpg_dsn, with_database
from bench.model import BenchError, Context
from bench.service import Template, create_database, drop_database, serving, wait_for_job

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

JOB_TIMEOUT_S = 60.0
"""The scheme saved on an empty workspace: its job has nothing to do."""

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


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


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


@dataclass(frozen=True, slots=True)
class Million:
    """The seeded template, and what its seeding implies."""

    template: Template
    version: int
    """The version of ``SCHEME`` the seeded tiers are in."""
    workspace_id: UUID
    seeded: Seeded
    seconds: float
    """How long the seeding took, the RFM refresh and VACUUM ANALYZE included."""
    rfm_seconds: float


_TEMPLATES: dict[tuple[str, int], Million] = {}
"""The templates seeded in this run, by server and number of customers."""


def _progress(message: str) -> None:
    print(f"bench million: {message}", file=sys.stderr, flush=True)


async def seeded(context: Context, count: int) -> Million:
    """The template of ``count`` seeded customers on the run's server, seeded at the first
    call of the run."""
    found = _TEMPLATES.get((context.database_server, count))
    if found is None:
        found = await _seed_template(context.database_server, count)
        _TEMPLATES[(context.database_server, count)] = found
    return found


async def drop_templates() -> None:
    """Drops the templates seeded in this run."""
    while _TEMPLATES:
        (server_url, _), million = _TEMPLATES.popitem()
        await drop_database(server_url, million.template.name)


async def _seed_template(server_url: str, count: int) -> Million:
    template = Template(f"tierline_bench_million_{secrets.token_hex(6)}", generate_key())
    await create_database(server_url, template.name)
    try:
        async with (
            serving(with_database(server_url, template.name), template.key) as service,
            service.client(timeout_s=600.0) as client,
        ):
            version = await save_scheme(client)
            _progress(f"seeding {count:,} customers into a template")
            conn = await asyncpg.connect(asyncpg_dsn(service.database_url))
            try:
                workspace_id = await workspace_of(conn)
                population = Population(
                    workspace_id, version, datetime.now(UTC), random.Random(SEED)
                )
                started = time.perf_counter()
                seeded = await seed(conn, population, count, vacuum=False)
                refreshed = time.perf_counter()
                response = await client.post("/v1/schemes/rfm/refresh")
                if response.status_code != 200:
                    raise BenchError(f"RFM refresh: {response.status_code} {response.text[:200]}")
                rfm_s = time.perf_counter() - refreshed
                await conn.execute("VACUUM (ANALYZE) customers, customer_tiers")
                seconds = time.perf_counter() - started
            finally:
                await conn.close()
    except BaseException:
        await drop_database(server_url, template.name)
        raise
    _progress(f"seeded in {seconds:.1f} s (RFM refresh {rfm_s:.1f} s)")
    return Million(template, version, workspace_id, seeded, seconds, rfm_s)
