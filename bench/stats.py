"""Summaries of latency samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_ms(samples_s: Sequence[float]) -> dict[str, Any]:
    """Median, p95, min and max in milliseconds, and the sample count."""
    return {
        "median_ms": round(statistics.median(samples_s) * 1000, 3),
        "p95_ms": round(percentile(samples_s, 0.95) * 1000, 3),
        "min_ms": round(min(samples_s) * 1000, 3),
        "max_ms": round(max(samples_s) * 1000, 3),
        "samples": len(samples_s),
    }
