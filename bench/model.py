"""What a benchmark receives and what it hands back."""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

SCALE_VARIABLE = "BENCH_SCALE"


class BenchError(RuntimeError):
    """The run itself failed: its figures cannot be trusted."""


def scale_from_environment() -> float:
    raw = os.environ.get(SCALE_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError as error:
        raise BenchError(f"{SCALE_VARIABLE} must be a number, not {raw!r}") from error
    if not math.isfinite(value) or value <= 0:
        raise BenchError(f"{SCALE_VARIABLE} must be a positive number, not {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class Context:
    scale: float
    database_server: str
    """URL of the PostgreSQL server; each benchmark creates its own fresh database on it."""
    only: frozenset[str] = frozenset()
    """Names of the benchmarks to run; empty runs them all."""

    def scaled(self, count: int, minimum: int = 1) -> int:
        return max(minimum, round(count * self.scale))


@dataclass(frozen=True, slots=True)
class Figure:
    """One measurement and its baseline from the same run; the figure is their ratio."""

    name: str
    label: str
    unit: str
    measured: float
    baseline: float
    target: float | None = None
    """The ratio must be at most this; None when the figure is for information only."""
    measured_detail: dict[str, Any] = field(default_factory=dict)
    baseline_detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline > 0 else math.inf

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.ratio <= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "measured": self.measured,
            "baseline": self.baseline,
            "ratio": round(self.ratio, 4),
            "target": None if self.target is None else {"max_ratio": self.target},
            "passed": self.passed,
            "measured_detail": self.measured_detail,
            "baseline_detail": self.baseline_detail,
        }


@dataclass(slots=True)
class BenchmarkResult:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    """Sizes, timings and checks that explain the figures."""
    notes: list[str] = field(default_factory=list)
    """Lines printed under the table."""
    seconds: float = 0.0
    error: str | None = None
    """Why the run failed; its figures, if any, cannot be trusted."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "seconds": round(self.seconds, 1),
            "error": self.error,
            "figures": [figure.as_json() for figure in self.figures],
            "details": self.details,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class Benchmark:
    """``run`` fills in the result as it goes, so a failure keeps what was measured."""

    name: str
    title: str
    run: Callable[[Context, BenchmarkResult], Awaitable[None]]
