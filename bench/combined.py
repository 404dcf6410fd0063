"""Figures that compare two benchmarks of one run, worked out after both have run.

issue 21 (group commit): the normal batch (``POST /v1/events/batch``, 1,000 events per
request from 4 connections, normal mode, as ``bench.backfill`` times it) at least twice the
single event's events/s at 32 connections (``bench.single_event``), in the same run. Both
benchmarks give those as microseconds per event (the figures ``normal_batch_vs_copy`` and
``rate_32``), so the figure is the one over the other and the target a ratio of at most 1/2.
Its notes repeat the normal batch's ratio to COPY (the figure ``normal_batch_vs_copy``).

The two are measured on different servers and workspaces, each benchmark starting its own:
the normal batch loads a history (orders, refunds and visits over three years, in time
order) into a new workspace, the single events are new orders for the customers of a seeded
one; both with two schemes and a saved segment active. ``BENCH_ONLY=single_event,backfill``
runs just the two; when only one of them runs, the result says the figure needs both.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bench.backfill import BATCH_SIZE, NORMAL_CONNECTIONS
from bench.model import BenchmarkResult, Figure

NAME = "batch_vs_single"
TITLE = "normal batch against single events at 32 connections, from two benchmarks"
SPEEDUP_TARGET = 2.0
"""issue 21: the normal batch at least twice the single event's events/s at 32 connections."""


@dataclass(frozen=True, slots=True)
class Source:
    benchmark: str
    figure: str
    what: str


BATCH = Source("backfill", "normal_batch_vs_copy", "normal batch")
SINGLE = Source("single_event", "rate_32", "single event at 32 connections")


def _inverse(value: float) -> float:
    return 1 / value if value > 0 else float("inf")


def _figure(results: dict[str, BenchmarkResult], source: Source) -> Figure | None:
    found = [f for f in results[source.benchmark].figures if f.name == source.figure]
    return found[0] if found else None


def combine(results: Sequence[BenchmarkResult], chosen: Collection[str]) -> list[BenchmarkResult]:
    """The combined result (none when neither source benchmark was chosen): the figure when
    both measured theirs, otherwise a note saying what is missing."""
    sources = (BATCH, SINGLE)
    if not any(source.benchmark in chosen for source in sources):
        return []
    result = BenchmarkResult(name=NAME, title=TITLE)
    by_name = {r.name: r for r in results}
    missing = [s.benchmark for s in sources if s.benchmark not in by_name]
    if missing:
        result.notes.append(
            f"not measured: the figure needs both {BATCH.benchmark} and {SINGLE.benchmark} in "
            f"one run ({', '.join(missing)} did not run); "
            f"BENCH_ONLY={SINGLE.benchmark},{BATCH.benchmark} runs just the two"
        )
        return [result]
    batch, single = _figure(by_name, BATCH), _figure(by_name, SINGLE)
    if batch is None or single is None:
        unmeasured = [s for s, f in ((BATCH, batch), (SINGLE, single)) if f is None]
        result.notes.append(
            "not measured: "
            + "; ".join(f"{s.benchmark} failed before its figure {s.figure}" for s in unmeasured)
        )
        return [result]
    result.figures.append(
        Figure(
            name="normal_batch_vs_single_32",
            label="normal batch vs single event at 32 connections",
            unit="us/event",
            measured=batch.measured,
            baseline=single.measured,
            target=1 / SPEEDUP_TARGET,
            measured_detail={"from": f"{BATCH.benchmark}.{BATCH.figure}"} | batch.measured_detail,
            baseline_detail={"from": f"{SINGLE.benchmark}.{SINGLE.figure}"}
            | single.measured_detail,
        )
    )
    batch_rate, single_rate = 1e6 * _inverse(batch.measured), 1e6 * _inverse(single.measured)
    speedup = _inverse(result.figures[0].ratio)
    verdict = "PASS" if speedup >= SPEEDUP_TARGET else "FAIL"
    events = int(batch.measured_detail.get("events", 0))
    result.notes += [
        f"{BATCH.what} {batch_rate:,.0f} events/s ({events:,} events, "
        f"{math.ceil(events / BATCH_SIZE):,} requests of up to {BATCH_SIZE:,} from "
        f"{NORMAL_CONNECTIONS} connections), {SINGLE.what} {single_rate:,.0f} events/s: "
        f"the batch at {speedup:.2f}x; target (issue 21) >= {SPEEDUP_TARGET:g}x: {verdict}",
        f"{BATCH.what} against COPY of the same rows: {_inverse(batch.ratio):.4f}x the rows/s "
        f"({batch.ratio:,.2f} in time per event; {BATCH.benchmark}'s figure {BATCH.figure})",
    ]
    failed = [r.name for r in (by_name[BATCH.benchmark], by_name[SINGLE.benchmark]) if r.error]
    if failed:
        result.error = f"from {', '.join(failed)}, whose run failed: cannot be trusted"
    return [result]
