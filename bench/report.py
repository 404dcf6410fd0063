"""The printed table and ``bench/results.json``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.model import BenchmarkResult, Figure

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
HEADERS = ("benchmark", "figure", "measured", "baseline", "ratio", "target", "result")
RIGHT_ALIGNED = {"measured", "baseline", "ratio", "target"}


def _ratio(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.2f}"


def _row(benchmark: str, figure: Figure) -> tuple[str, ...]:
    verdict = {True: "PASS", False: "FAIL", None: "info"}[figure.passed]
    return (
        benchmark,
        figure.label,
        f"{figure.measured:,.2f} {figure.unit}",
        f"{figure.baseline:,.2f} {figure.unit}",
        _ratio(figure.ratio),
        "-" if figure.target is None else f"<= {figure.target:.2f}",
        verdict,
    )


def render(results: Sequence[BenchmarkResult], header: str) -> str:
    rows = [row for result in results for row in (_row(result.name, f) for f in result.figures)]
    widths = [max(len(cell) for cell in column) for column in zip(HEADERS, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        aligned = (
            cell.rjust(width) if name in RIGHT_ALIGNED else cell.ljust(width)
            for name, cell, width in zip(HEADERS, cells, widths, strict=True)
        )
        return "  ".join(aligned).rstrip()

    out = [header, "", line(HEADERS), line(["-" * width for width in widths])]
    out += [line(row) for row in rows]
    for result in results:
        out += ["", f"{result.name}: {result.title} ({result.seconds:.1f} s)"]
        out += [f"  {note}" for note in result.notes]
        if result.error:
            out.append(f"  RUN FAILED: {result.error}")
    return "\n".join(out)


def write_json(document: dict[str, Any], path: Path = RESULTS_PATH) -> None:
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
