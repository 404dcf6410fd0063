"""Runs every benchmark, prints the table and writes ``bench/results.json``.

``BENCH_SCALE`` shrinks the data (default 1); ``BENCH_ONLY=history,backfill`` runs a subset.
Figures comparing two benchmarks (``bench.combined``) are worked out after the benchmarks,
when both ran (``BENCH_ONLY=single_event,backfill`` for issue 21's normal batch against
single events).
Exits 0 whether or not the figures meet their targets; 1 when a run itself failed, 2 on a
configuration error.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime

from app.vault import generate_key
from bench import (
    backfill,
    clv,
    combined,
    history,
    million,
    reclassify,
    segments,
    single_event,
    webhooks,
)
from bench.model import BenchError, Benchmark, BenchmarkResult, Context, scale_from_environment
from bench.report import RESULTS_PATH, render, write_json
from bench.service import database_server, server_version

BENCHMARKS: tuple[Benchmark, ...] = (
    single_event.BENCHMARK,
    history.BENCHMARK,
    backfill.BENCHMARK,
    segments.BENCHMARK,
    webhooks.BENCHMARK,
    reclassify.BENCHMARK,
    clv.BENCHMARK,
)


async def run_one(benchmark: Benchmark, context: Context) -> BenchmarkResult:
    result = BenchmarkResult(name=benchmark.name, title=benchmark.title)
    started = time.monotonic()
    try:
        await benchmark.run(context, result)
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        result.error = f"{type(error).__name__}: {error}"
    result.seconds = time.monotonic() - started
    return result


async def run_all(context: Context, timestamp: datetime) -> int:
    version = await server_version(context.database_server)
    started = time.monotonic()
    chosen = [b for b in BENCHMARKS if not context.only or b.name in context.only]
    try:
        results = [await run_one(benchmark, context) for benchmark in chosen]
    finally:
        await million.drop_templates()
    results += combined.combine(results, {benchmark.name for benchmark in chosen})
    seconds = time.monotonic() - started
    header = (
        f"Tierline benchmarks: scale {context.scale:g}, PostgreSQL {version}, "
        f"{timestamp:%Y-%m-%d %H:%M:%S} UTC, {seconds:.1f} s"
    )
    print(render(results, header))
    write_json(
        {
            "timestamp": timestamp.isoformat(),
            "scale": context.scale,
            "postgresql_version": version,
            "python_version": platform.python_version(),
            "platform": platform.platform(),
            "seconds": round(seconds, 1),
            "benchmarks": [result.as_json() for result in results],
        }
    )
    print(f"\nwrote {RESULTS_PATH}")
    return 1 if any(result.error for result in results) else 0


def main() -> int:
    timestamp = datetime.now(UTC)
    try:
        scale = scale_from_environment()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    only = frozenset(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
    # The services run on configured databases, which need a key; one per run will do.
    os.environ.setdefault("TIERLINE_SECRET_KEY", generate_key())
    context = Context(scale=scale, database_server=database_server(), only=only)
    return asyncio.run(run_all(context, timestamp))


if __name__ == "__main__":
    sys.exit(main())
