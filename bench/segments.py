"""Segment queries over a million customers: Tierline's endpoints against hand-written SQL.

The 1,000,000 customers (scale 1) are ``bench.million``'s, seeded once per run and shared with
``bench.reclassify``: this benchmark runs on a copy of them.

Four questions go to Tierline (``POST /v1/customers/count`` and ``/v1/customers/search``) and to
a minimal FastAPI + asyncpg app (``bench.baseline_sql``, its own uvicorn process with Tierline's
pool size) that answers them with the SQL an engineer would write by hand, also over HTTP:
count by tier, count by a lifetime-spend range, count by a trait, and the first page of one
industry sorted by lifetime spend. Both sides must give the answers the seed implies. Requests
then alternate between the two, one at a time; each figure is the ratio of median latencies.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from app.db.url import asyncpg_dsn
from app.settings import Settings
from bench.baseline_sql import DATABASE_URL_VARIABLE, POOL_SIZE_VARIABLE
from bench.million import (
    CUSTOMERS,
    INDUSTRY_ASKED,
    PAGE,
    SCHEME_KEY,
    SEED,
    SPEND_RANGE,
    TIER_ASKED,
    Seeded,
)
from bench.million import seeded as seeded_million
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, Figure
from bench.service import HOST, ROOT, free_port, running_service, stop_process
from bench.stats import percentile, summary_ms

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


def _progress(message: str) -> None:
    print(f"bench segments: {message}", file=sys.stderr, flush=True)


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
    million = await seeded_million(context, count)
    seeded = million.seeded
    result.details["seed"] = {
        "seconds": round(million.seconds, 1),
        "tiers": dict(seeded.tiers),
        "industries": dict(seeded.industries),
        "in_spend_range": seeded.in_spend_range,
    }
    result.notes.append(
        f"{count:,} customers seeded with COPY (seed {SEED}) in {million.seconds:.1f} s, an "
        "RFM refresh and VACUUM ANALYZE included, once for this benchmark and reclassify; "
        "tiers: " + ", ".join(f"{tier} {n:,}" for tier, n in seeded.tiers.most_common())
    )
    async with (
        running_service(context.database_server, template=million.template) as service,
        service.client(timeout_s=REQUEST_TIMEOUT_S) as tierline,
    ):
        workspace_id = million.workspace_id
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
