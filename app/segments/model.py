"""A saved segment, parsed: its condition and what the condition reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.rules.evaluate import Timed, time_comparisons
from app.rules.fields import referenced_metrics, referenced_schemes
from app.rules.schema import Node, parse_condition


@dataclass(frozen=True, slots=True)
class Segment:
    key: str
    version: int
    condition: Node
    reads_schemes: frozenset[str]
    reads_metrics: frozenset[str]
    timed: tuple[Timed, ...]
    """The comparisons of its condition that time alone can flip (``next_flip``)."""


def segment_from_condition(key: str, version: int, condition: Mapping[str, Any]) -> Segment:
    node = parse_condition(condition)
    return Segment(
        key=key,
        version=version,
        condition=node,
        reads_schemes=frozenset(referenced_schemes(node)),
        reads_metrics=frozenset(referenced_metrics(node)),
        timed=time_comparisons(node),
    )
