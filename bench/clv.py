"""CLV summaries and fit over 100,000 and 1,000,000 customers, beside one GROUP BY.

A fresh database is migrated with the app's migrations (no server runs: nothing goes through
the API) and given two workspaces, one of 100,000 customers and one of 1,000,000 (scaled).
Their daily roll-ups (``customer_days``) are seeded straight into PostgreSQL with a binary
COPY, generated with numpy from the BG/NBD and Gamma-Gamma stories with CDNOW's published
estimates (``TRUE_BGNBD``, ``TRUE_GAMMA_GAMMA``, alpha converted from weeks to days):

- each customer's first purchase is on a day spread uniformly over the ``HISTORY_DAYS`` before
  the end; while alive they buy as a Poisson process of rate lambda ~ Gamma(r, alpha) per day,
  and drop out for good after each repeat purchase with probability p ~ Beta(a, b);
- a purchase's spend is Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer, in cents;
- purchases on the same day are one row (one purchase day), as the roll-ups keep them; one
  purchase day in ten has a second order (the day's spend split, not added to); two in a
  hundred have a partial refund, half on the day, half on a later day (a row without orders,
  which no summary counts).

Per workspace, ``ROUNDS`` times, the median taken: (a) ``app.clv.summaries.for_fit``, the
one-pass SQL summary streamed into numpy arrays, as the fit job reads it; (b)
``app.clv.service._fit_report``, the fit of both models, in a thread as the job runs it; and
the baseline, one plain ``GROUP BY customer_id`` (purchase days and net spend) over the same
rows, streamed to the client the same way. The figures are (a) and (b) against the baseline,
for information. The fitted parameters must land near the simulation's (``TOLERANCE`` at
1,000,000 customers, looser with fewer as the standard errors grow), else the run fails.

Then the peak RSS of a process that does what the server's fit job does at the larger size
(import the server's modules, summaries, fit), against the issue's 300 MB budget; a process
that only imports the same modules and connects is measured beside it.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import struct
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.clv import service as clv_service
from app.clv import summaries as summary_store
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.db.url import asyncpg_dsn
from app.predictions import model
from app.predictions.model import Summaries
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import ROOT, fresh_database

SIZES = (100_000, 1_000_000)
SEED = 2005
END = date(2026, 11, 24)
"""The calibration end: the last day of the simulated history."""
HISTORY_DAYS = 730
TRUE_BGNBD = model.BgNbd(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
"""CDNOW (Fader, Hardie & Lee 2005), alpha in days."""
TRUE_GAMMA_GAMMA = model.GammaGamma(p=6.25, q=3.74, gamma=15.44)
"""CDNOW (Fader, Hardie & Lee 2005): a mean spend of 35.22."""
TWO_ORDER_SHARE = 0.1
REFUND_SHARE = 0.02
"""Of purchase days; half refunded on the day, half up to ``LATE_REFUND_DAYS`` later."""
LATE_REFUND_DAYS = 14
REFUND_FRACTION = (0.1, 0.5)
ROUNDS = 3
TOLERANCE = 0.10
"""Largest relative error of a fitted parameter at ``TOLERANCE_CUSTOMERS``; with n customers
it is ``TOLERANCE * sqrt(TOLERANCE_CUSTOMERS / n)`` (the standard errors grow as 1/sqrt(n))."""
TOLERANCE_CUSTOMERS = 1_000_000
RSS_BUDGET_MB = 300.0
"""issue: fits "keep the server within the memory target of the benchmarks (300 MB)"."""
COPY_CHUNK = 250_000
"""Rows per piece of the binary COPY stream."""
CHILD_TIMEOUT_S = 600.0

_EPOCH = date(2000, 1, 1)
"""PostgreSQL's binary dates count days from here."""
_KEY_DAYS = 1 << 12
"""Merging rows by (customer, day): key = customer * _KEY_DAYS + day from the first day."""
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_COLUMNS = ["workspace_id", "customer_id", "day", "orders", "order_amount", "refund_amount"]

_GROUP_BY = text(
    """
    SELECT customer_id, count(*) AS purchase_days, sum(order_amount - refund_amount) AS net
    FROM customer_days
    WHERE workspace_id = :ws AND orders > 0 AND day <= :end
    GROUP BY customer_id
    """
)
_EXPLAIN = "EXPLAIN (ANALYZE, BUFFERS) "


def _progress(message: str) -> None:
    print(f"bench clv: {message}", file=sys.stderr, flush=True)


# --- the simulated roll-ups ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RollUps:
    """One workspace's ``customer_days`` rows, sorted by customer then day; days count from
    ``_EPOCH``, amounts are in cents."""

    customers: int
    customer: NDArray[np.int64]
    day: NDArray[np.int64]
    orders: NDArray[np.int64]
    order_cents: NDArray[np.int64]
    refund_cents: NDArray[np.int64]

    def expected(self) -> Summaries:
        """The summaries ``for_fit`` must return, in customer order (computed here in numpy)."""
        buying = self.orders > 0
        customer, day = self.customer[buying], self.day[buying]
        net = (self.order_cents - self.refund_cents)[buying]
        days = np.bincount(customer, minlength=self.customers)
        first = np.concatenate([[0], np.cumsum(days)[:-1]])
        last = first + days - 1
        frequency = (days - 1).astype(np.float64)
        repeat_cents = np.bincount(customer, weights=net, minlength=self.customers) - net[first]
        return Summaries(
            frequency=frequency,
            recency=(day[last] - day[first]).astype(np.float64),
            age=(_day_number(END) - day[first]).astype(np.float64),
            monetary=np.where(frequency > 0, repeat_cents / 100 / np.maximum(frequency, 1), 0.0),
        )


def _day_number(day: date) -> int:
    return (day - _EPOCH).days


def simulate(customers: int, rng: np.random.Generator) -> RollUps:
    """The roll-ups of ``customers`` customers (see the module's docstring), vectorised."""
    bg, gg = TRUE_BGNBD, TRUE_GAMMA_GAMMA
    rate = rng.gamma(bg.r, 1 / bg.alpha, customers)
    dropout = rng.beta(bg.a, bg.b, customers)
    age = rng.integers(0, HISTORY_DAYS + 1, customers)
    # Repeat purchases while alive: of the Poisson arrivals in (0, age], the first ``lives``
    # (the purchase after which the customer drops out is the lives-th, geometric in p).
    arrivals = rng.poisson(rate * age)
    lives = rng.geometric(dropout)
    owner = np.repeat(np.arange(customers), arrivals)
    at = rng.random(owner.size) * age[owner]
    order = np.lexsort((at, owner))
    owner, at = owner[order], at[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    alive = rank < lives[owner]
    owner, at = owner[alive], at[alive]
    # Day 0 is the first purchase; a repeat purchase at time t falls on day ceil(t) >= 1.
    customer = np.concatenate([np.arange(customers), owner])
    offset = np.concatenate([np.zeros(customers, np.int64), np.ceil(at).astype(np.int64)])
    nu = rng.gamma(gg.q, 1 / gg.gamma, customers)
    cents = np.maximum(1, np.rint(rng.gamma(gg.p, 1 / nu[customer]) * 100)).astype(np.int64)
    first_day = _day_number(END) - age
    key, orders, order_cents, _ = _merged(
        customer * _KEY_DAYS + offset, np.ones(customer.size, np.int64), cents, None
    )
    orders += rng.random(orders.size) < TWO_ORDER_SHARE
    # Refunds: a share of purchase days, some on the day, some on a later day without orders
    # (never after the end).
    refunded = np.flatnonzero(rng.random(key.size) < REFUND_SHARE)
    low, high = REFUND_FRACTION
    refund = np.rint(order_cents[refunded] * rng.uniform(low, high, refunded.size))
    later = rng.integers(1, LATE_REFUND_DAYS + 1, refunded.size) * (rng.random(refunded.size) < 0.5)
    refund_key = key[refunded] + later
    too_late = first_day[refund_key // _KEY_DAYS] + refund_key % _KEY_DAYS > _day_number(END)
    refund_key[too_late] = key[refunded][too_late]
    key, orders, order_cents, refund_cents = _merged(
        np.concatenate([key, refund_key]),
        np.concatenate([orders, np.zeros(refunded.size, np.int64)]),
        np.concatenate([order_cents, np.zeros(refunded.size, np.int64)]),
        np.concatenate([np.zeros(key.size, np.int64), refund.astype(np.int64)]),
    )
    customer = key // _KEY_DAYS
    return RollUps(
        customers=customers,
        customer=customer,
        day=first_day[customer] + key % _KEY_DAYS,
        orders=orders,
        order_cents=order_cents,
        refund_cents=refund_cents,
    )


def _merged(
    key: NDArray[np.int64],
    orders: NDArray[np.int64],
    order_cents: NDArray[np.int64],
    refund_cents: NDArray[np.int64] | None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """One row per key (sorted), the counts and amounts summed."""
    unique, index = np.unique(key, return_inverse=True)

    def total(values: NDArray[np.int64] | None) -> NDArray[np.int64]:
        if values is None:
            return np.zeros(unique.size, np.int64)
        return np.bincount(index, weights=values, minlength=unique.size).astype(np.int64)

    return unique, total(orders), total(order_cents), total(refund_cents)


# --- binary COPY -----------------------------------------------------------------------------


def _customer_ids(customers: int) -> NDArray[np.bytes_]:
    """``cust-0000042``-style ids, all of one width (so every COPY row has the same layout)."""
    width = len(str(max(customers - 1, 0)))
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (np.arange(customers)[:, np.newaxis] // powers % 10 + ord("0")).astype(np.uint8)
    prefix = np.broadcast_to(np.frombuffer(b"cust-", np.uint8), (customers, 5))
    table = np.ascontiguousarray(np.hstack([prefix, digits]))
    ids: NDArray[np.bytes_] = table.view(f"S{5 + width}").ravel()
    return ids


def _numeric(cents: NDArray[np.int64]) -> NDArray[np.int16]:
    """PostgreSQL's binary numeric of cents / 100, in a fixed layout: three base-10000 digits
    (weight 1, scale 2); the server strips the leading and trailing zero digits."""
    if cents.size and (cents.min() < 0 or cents.max() >= 10**10):
        raise BenchError("amounts must be in 0..99,999,999.99")
    units = cents // 100
    header = np.broadcast_to(np.array([3, 1, 0, 2], np.int16), (cents.size, 4))
    digits = np.stack([units // 10_000, units % 10_000, cents % 100 * 100], axis=1)
    return np.hstack([header, digits.astype(np.int16)])


def _row_type(id_width: int) -> np.dtype[Any]:
    """One binary COPY tuple of ``customer_days``: every field has a fixed size here."""
    return np.dtype(
        [
            ("fields", ">i2"),
            ("workspace_len", ">i4"),
            ("workspace", "u1", (16,)),
            ("customer_len", ">i4"),
            ("customer", f"S{id_width}"),
            ("day_len", ">i4"),
            ("day", ">i4"),
            ("orders_len", ">i4"),
            ("orders", ">i4"),
            ("order_len", ">i4"),
            ("order", ">i2", (7,)),
            ("refund_len", ">i4"),
            ("refund", ">i2", (7,)),
        ]
    )


async def _copy_stream(workspace_id: UUID, rollups: RollUps) -> AsyncIterator[bytes]:
    ids = _customer_ids(rollups.customers)
    row_type = _row_type(ids.itemsize)
    yield _COPY_HEADER
    for start in range(0, rollups.customer.size, COPY_CHUNK):
        piece = slice(start, start + COPY_CHUNK)
        rows = np.zeros(rollups.customer[piece].size, row_type)
        rows["fields"] = len(_COLUMNS)
        rows["workspace_len"] = 16
        rows["workspace"] = np.frombuffer(workspace_id.bytes, np.uint8)
        rows["customer_len"] = ids.itemsize
        rows["customer"] = ids[rollups.customer[piece]]
        rows["day_len"] = rows["orders_len"] = 4
        rows["day"] = rollups.day[piece]
        rows["orders"] = rollups.orders[piece]
        rows["order_len"] = rows["refund_len"] = 14
        rows["order"] = _numeric(rollups.order_cents[piece])
        rows["refund"] = _numeric(rollups.refund_cents[piece])
        yield rows.tobytes()
    yield _COPY_TRAILER


@dataclass(frozen=True, slots=True)
class Workspace:
    id: UUID
    customers: int
    rows: int
    expected: Summaries


async def seed(conn: asyncpg.Connection, customers: int, rng: np.random.Generator) -> Workspace:
    """A new workspace with the roll-ups of ``customers`` simulated customers."""
    workspace_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)",
        workspace_id,
        f"bench-clv-{customers}",
        f"CLV benchmark, {customers:,} customers",
    )
    rollups = simulate(customers, rng)
    await conn.copy_to_table(
        "customer_days",
        source=_copy_stream(workspace_id, rollups),
        columns=_COLUMNS,
        format="binary",
    )
    return Workspace(workspace_id, customers, int(rollups.customer.size), rollups.expected())


def _seed_detail(rows: int, customers: int, expected: Summaries) -> dict[str, Any]:
    return {
        "customers": customers,
        "rows": rows,
        "rows_per_customer": round(rows / customers, 2),
        "repeat_customers": int((expected.frequency > 0).sum()),
        "purchase_days": int(expected.frequency.sum()) + customers,
    }


async def _check_rollups(conn: asyncpg.Connection, workspace: Workspace) -> dict[str, Any]:
    """The seeded rows as the database holds them, against what was generated."""
    row = await conn.fetchrow(
        "SELECT count(*) AS rows, count(*) FILTER (WHERE orders > 1) AS two_order_days, "
        "count(*) FILTER (WHERE refund_amount > 0) AS refund_days, "
        "count(*) FILTER (WHERE orders = 0) AS refund_only_days, "
        "count(DISTINCT scale(order_amount)) AS scales "
        "FROM customer_days WHERE workspace_id = $1",
        workspace.id,
    )
    assert row is not None
    if row["rows"] != workspace.rows:
        raise BenchError(f"{row['rows']:,} rows seeded, {workspace.rows:,} generated")
    return dict(row)


# --- measurements ----------------------------------------------------------------------------


async def time_summaries(engine: AsyncEngine, workspace_id: UUID) -> tuple[float, Summaries]:
    async with engine.connect() as conn, conn.begin():
        started = time.perf_counter()
        summaries = await summary_store.for_fit(conn, workspace_id, END)
        return time.perf_counter() - started, summaries


async def time_group_by(engine: AsyncEngine, workspace_id: UUID) -> tuple[float, int]:
    """The baseline: every row of a plain GROUP BY, through the same SQLAlchemy stream as
    ``for_fit``, ``_STREAM_ROWS`` rows at a time. (The size is given to ``partitions``: the
    ``yield_per`` option is ignored for a ``text()`` statement, see the README.)"""
    rows = 0
    async with engine.connect() as conn, conn.begin():
        started = time.perf_counter()
        result = await conn.stream(_GROUP_BY, {"ws": workspace_id, "end": END})
        async for partition in result.partitions(summary_store._STREAM_ROWS):
            rows += len([tuple(row) for row in partition])
        return time.perf_counter() - started, rows


async def time_fit(summaries: Summaries) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    try:
        report = await asyncio.to_thread(clv_service._fit_report, summaries)
    except clv_service.FitFailed as error:
        raise BenchError(f"the fit failed over {len(summaries):,} customers: {error}") from error
    return time.perf_counter() - started, report


async def explain(engine: AsyncEngine, workspace_id: UUID) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the summaries' statement and of the baseline's."""
    plans = {}
    params = {"ws": workspace_id, "end": END}
    async with engine.connect() as conn, conn.begin():
        for name, statement in (("summaries", summary_store._FOR_FIT), ("group_by", _GROUP_BY)):
            rows = await conn.execute(text(_EXPLAIN + statement.text), params)
            plans[name] = [row[0] for row in rows]
    return plans


def _execution_s(plan: list[str]) -> float:
    """The ``Execution Time`` of an EXPLAIN ANALYZE, in seconds."""
    for line in reversed(plan):
        if line.startswith("Execution Time:"):
            return float(line.split()[2]) / 1000
    raise BenchError("no Execution Time in the plan")


def _same(name: str, got: NDArray[np.float64], want: NDArray[np.float64]) -> None:
    if got.size != want.size or not np.allclose(np.sort(got), np.sort(want), rtol=1e-9, atol=0):
        raise BenchError(f"for_fit's {name} differs from the seeded roll-ups'")


def check_summaries(summaries: Summaries, expected: Summaries) -> None:
    """Same multiset per column (the rows come in the GROUP BY's order, not the customers')."""
    for name in Summaries.__slots__:
        _same(name, getattr(summaries, name), getattr(expected, name))


def tolerance(customers: int) -> float:
    return TOLERANCE * math.sqrt(max(1.0, TOLERANCE_CUSTOMERS / customers))


def parameter_errors(report: dict[str, Any]) -> dict[str, float]:
    """Relative error of each fitted parameter against the simulation's."""
    errors = {}
    for section, truth in (("bgnbd", TRUE_BGNBD), ("gamma_gamma", TRUE_GAMMA_GAMMA)):
        for name in truth.__slots__:
            errors[f"{section}.{name}"] = report[section][name] / getattr(truth, name) - 1
    return errors


def check_fit(report: dict[str, Any], customers: int) -> dict[str, float]:
    for section in ("bgnbd", "gamma_gamma"):
        if not report[section]["converged"]:
            raise BenchError(f"{section} did not converge: {report[section]['message']}")
    errors = parameter_errors(report)
    limit = tolerance(customers)
    wrong = {name: error for name, error in errors.items() if abs(error) > limit}
    if wrong:
        raise BenchError(
            f"over {customers:,} customers the fit is more than {limit:.0%} off the "
            "simulation's parameters: "
            + ", ".join(f"{name} {error:+.1%}" for name, error in wrong.items())
        )
    return errors


@dataclass(slots=True)
class Timings:
    summaries: list[float]
    fit: list[float]
    group_by: list[float]

    def detail(self) -> dict[str, Any]:
        return {
            name: {"median_s": round(statistics.median(v), 3), "runs_s": [round(s, 3) for s in v]}
            for name, v in (
                ("summaries", self.summaries),
                ("fit", self.fit),
                ("group_by", self.group_by),
            )
        }


async def measure(engine: AsyncEngine, workspace: Workspace) -> tuple[Timings, dict[str, Any]]:
    """``ROUNDS`` rounds, which of summaries and GROUP BY goes first alternating; one
    untimed GROUP BY first brings the rows into the caches."""
    await time_group_by(engine, workspace.id)
    timings = Timings([], [], [])
    report: dict[str, Any] = {}
    for round_ in range(ROUNDS):
        if round_ % 2:
            group_by_s, groups = await time_group_by(engine, workspace.id)
            summaries_s, summaries = await time_summaries(engine, workspace.id)
        else:
            summaries_s, summaries = await time_summaries(engine, workspace.id)
            group_by_s, groups = await time_group_by(engine, workspace.id)
        if round_ == 0:
            check_summaries(summaries, workspace.expected)
        if groups != len(summaries):
            raise BenchError(f"GROUP BY gave {groups:,} customers, for_fit {len(summaries):,}")
        fit_s, report = await time_fit(summaries)
        del summaries
        timings.summaries.append(summaries_s)
        timings.group_by.append(group_by_s)
        timings.fit.append(fit_s)
        _progress(
            f"{workspace.customers:,} customers, round {round_ + 1}: summaries "
            f"{summaries_s:.2f} s, fit {fit_s:.2f} s, GROUP BY {group_by_s:.2f} s"
        )
    return timings, report


# --- peak RSS, in a process of its own -------------------------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident set in MB: ``VmHWM``, in kB (KiB). Not ``ru_maxrss``, which
    Linux carries over an ``exec`` from the forked parent's copy (the benchmark's own RSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise BenchError("no VmHWM in /proc/self/status")


async def _child(mode: str, database_url: str, workspace_id: UUID) -> dict[str, Any]:
    """What the server's fit job does (``fit``), or only its imports and a connection
    (``bare``); the peak RSS at the end."""
    import app.main  # noqa: F401 - the server's modules, as loaded in ``tierline serve``

    out: dict[str, Any] = {"mode": mode, "imported_rss_mb": round(_peak_rss_mb(), 1)}
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn, conn.begin():
            await conn.execute(text("SELECT 1"))
            if mode == "fit":
                summaries = await summary_store.for_fit(conn, workspace_id, END)
                out["summaries_rss_mb"] = round(_peak_rss_mb(), 1)
                report = await asyncio.to_thread(clv_service._fit_report, summaries)
                out["customers"] = report["customers"]
                converged = [report[fit]["converged"] for fit in ("bgnbd", "gamma_gamma")]
                out["converged"] = all(converged)
    finally:
        await engine.dispose()
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return out


async def peak_rss(mode: str, database_url: str, workspace_id: UUID) -> dict[str, Any]:
    """Runs ``python -m bench.clv MODE ...`` and returns what it reports."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.clv",
        mode,
        database_url,
        str(workspace_id),
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), CHILD_TIMEOUT_S)
    except TimeoutError as error:
        process.kill()
        await process.wait()
        raise BenchError(
            f"the {mode} process did not finish within {CHILD_TIMEOUT_S:.0f} s"
        ) from error
    if process.returncode != 0:
        raise BenchError(
            f"the {mode} process exited with code {process.returncode}: "
            + stderr.decode(errors="replace")[-2000:]
        )
    reported: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return reported


# --- the benchmark ---------------------------------------------------------------------------


async def run(context: Context, result: BenchmarkResult) -> None:
    sizes = [context.scaled(size, minimum=1000) for size in SIZES]
    result.details["parameters"] = {
        "customers": sizes,
        "seed": SEED,
        "end": END.isoformat(),
        "history_days": HISTORY_DAYS,
        "bgnbd": {name: getattr(TRUE_BGNBD, name) for name in TRUE_BGNBD.__slots__},
        "gamma_gamma": {
            name: getattr(TRUE_GAMMA_GAMMA, name) for name in TRUE_GAMMA_GAMMA.__slots__
        },
        "rounds": ROUNDS,
        "stream_rows": summary_store._STREAM_ROWS,
    }
    rng = np.random.default_rng(SEED)
    async with fresh_database(context.database_server) as database_url:
        started = time.perf_counter()
        await asyncio.to_thread(upgrade, database_url)
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        workspaces = []
        try:
            for customers in sizes:
                workspace = await seed(conn, customers, rng)
                workspaces.append(workspace)
                _progress(
                    f"copied {workspace.rows:,} rows of {customers:,} customers in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            await conn.execute("VACUUM (ANALYZE) customer_days")
            seed_s = time.perf_counter() - started
            seeded = {}
            for workspace in workspaces:
                seeded[str(workspace.customers)] = _seed_detail(
                    workspace.rows, workspace.customers, workspace.expected
                ) | await _check_rollups(conn, workspace)
            table_mb = await conn.fetchval("SELECT pg_total_relation_size('customer_days') / 1e6")
        finally:
            await conn.close()
        result.details["seed"] = {
            "seconds": round(seed_s, 1),
            "table_mb": round(float(table_mb), 1),
            "workspaces": seeded,
        }
        result.notes.append(
            f"seeded {sum(w.rows for w in workspaces):,} roll-up rows ("
            + ", ".join(f"{w.customers:,} customers: {w.rows:,}" for w in workspaces)
            + f") with a binary COPY (seed {SEED}) in {seed_s:.1f} s, migrations and VACUUM "
            f"ANALYZE included; customer_days {float(table_mb):,.0f} MB"
        )
        _progress(f"seeded and vacuumed in {seed_s:.1f} s")

        engine = create_engine(database_url, pool_size=1)
        try:
            for workspace in workspaces:
                await _measure_one(engine, workspace, result)
            largest = workspaces[-1]
            plans = await explain(engine, largest.id)
            result.details["explain"] = plans
            result.notes.append(
                f"EXPLAIN ANALYZE over {largest.customers:,} customers (server side only): "
                f"summaries {_execution_s(plans['summaries']):.2f} s, GROUP BY "
                f"{_execution_s(plans['group_by']):.2f} s; the rest of each time above is the "
                "client's (asyncpg, SQLAlchemy rows, arrays)"
            )
        finally:
            await engine.dispose()

        bare = await peak_rss("bare", database_url, largest.id)
        fit = await peak_rss("fit", database_url, largest.id)
    if not fit.get("converged") or fit.get("customers") != largest.customers:
        raise BenchError(f"the fit process did not fit {largest.customers:,} customers: {fit}")
    result.details["rss"] = {"bare": bare, "fit": fit}
    result.figures.append(
        Figure(
            name="fit_peak_rss",
            label=f"peak RSS, summaries + fit, {largest.customers:,} customers",
            unit="MB",
            measured=fit["peak_rss_mb"],
            baseline=RSS_BUDGET_MB,
            target=1.0,
            measured_detail=fit,
            baseline_detail={"budget_mb": RSS_BUDGET_MB, "bare_process": bare},
        )
    )
    result.notes.append(
        f"peak RSS over {largest.customers:,} customers: {fit['peak_rss_mb']:.0f} MB (after "
        f"the summaries {fit['summaries_rss_mb']:.0f} MB); the same imports and a connection "
        f"alone {bare['peak_rss_mb']:.0f} MB, so summaries + fit add "
        f"{fit['peak_rss_mb'] - bare['peak_rss_mb']:.0f} MB; the baseline column is the "
        f"{RSS_BUDGET_MB:.0f} MB budget"
    )
    if context.scale < 1:
        result.notes.append(
            f"scale {context.scale:g}: {', '.join(f'{n:,}' for n in sizes)} customers, not "
            f"{', '.join(f'{n:,}' for n in SIZES)}; a smoke run, the figures need scale 1"
        )


async def _measure_one(engine: AsyncEngine, workspace: Workspace, result: BenchmarkResult) -> None:
    timings, report = await measure(engine, workspace)
    errors = check_fit(report, workspace.customers)
    detail = timings.detail()
    summaries_s = detail["summaries"]["median_s"]
    fit_s = detail["fit"]["median_s"]
    group_by_s = detail["group_by"]["median_s"]
    n = workspace.customers
    result.details.setdefault("sizes", {})[str(n)] = {
        "timings": detail,
        "parameter_errors": {name: round(error, 4) for name, error in errors.items()},
        "tolerance": round(tolerance(n), 3),
        "report": report,
    }
    for name, label, measured in (
        ("summaries", "summaries (SQL + arrays)", summaries_s),
        ("fit", "fit (BG/NBD + Gamma-Gamma)", fit_s),
    ):
        result.figures.append(
            Figure(
                name=f"{name}_{n}",
                label=f"{label}, {n:,} customers, median",
                unit="s",
                measured=measured,
                baseline=group_by_s,
                measured_detail=detail[name],
                baseline_detail=detail["group_by"],
            )
        )
    worst = max(errors, key=lambda name: abs(errors[name]))
    result.notes.append(
        f"{n:,} customers ({report['repeat_customers']:,} repeat): summaries "
        f"{summaries_s:.2f} s, fit {fit_s:.2f} s (BG/NBD {report['bgnbd']['iterations']} and "
        f"Gamma-Gamma {report['gamma_gamma']['iterations']} iterations), GROUP BY "
        f"{group_by_s:.2f} s; parameters within {abs(errors[worst]):.1%} of the simulation's "
        f"(worst {worst}; allowed {tolerance(n):.0%})"
    )


BENCHMARK = Benchmark(
    name="clv",
    title="CLV summaries and fit against one GROUP BY over the same roll-ups",
    run=run,
)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_child(sys.argv[1], sys.argv[2], UUID(sys.argv[3])))))
