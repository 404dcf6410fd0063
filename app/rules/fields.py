"""The typing layer: checks a parsed condition against what exists in a workspace.

Parsing (``app.rules.schema``) knows the namespaces; this module knows the names. A
``FieldCatalog`` lists the metrics with their kinds and the schemes with their tier keys;
``check`` reports, with the path inside the tree, every metric, scheme or tier that does not
exist and every comparison of a number metric with a timestamp or the other way round.

Traits are free JSON and have no static types, so a comparison cannot be refused because of a
trait's type; at run time a trait of another type than the comparison's simply makes it false
(see ``app.rules``). What can be refused statically is refused while parsing: ordering a trait
with a string (``{"field": "traits.size", "op": "gte", "value": "large"}``), ``within_days`` on
a trait, and ordering comparisons on tiers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from app.rules.schema import (
    AgeComparison,
    BetweenComparison,
    Comparison,
    ContainsComparison,
    EqualityComparison,
    ExistsComparison,
    Loc,
    MembershipComparison,
    Node,
    Operand,
    OrderComparison,
    dotted,
    walk,
)

MetricKind = Literal["number", "money", "count", "timestamp"]
NUMERIC_KINDS: frozenset[MetricKind] = frozenset({"number", "money", "count"})

AGING_METRICS = frozenset({"days_since_last_order"})
"""Metrics that grow by one at every UTC midnight with no new event (``next_flip`` uses it)."""

_EVENT_COUNT = re.compile(r"[a-z0-9_]{1,64}_count")


def is_event_count(name: str) -> bool:
    """``<event type>_count``: a built-in for every event type, 0 while the customer has none."""
    return _EVENT_COUNT.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class FieldCatalog:
    """What a condition may refer to in one workspace.

    ``metrics`` maps every built-in and user-defined metric to its kind (``<type>_count`` names
    need not be listed: every event type has one); ``schemes`` maps each scheme key to its tier
    keys, the default tier included. A plain value: the caller builds it
    (``app.customers.catalog.field_catalog``), so the condition language knows no domain.
    """

    metrics: Mapping[str, MetricKind]
    schemes: Mapping[str, frozenset[str]]

    def metric_kind(self, name: str) -> MetricKind | None:
        kind = self.metrics.get(name)
        if kind is None and is_event_count(name):
            return "count"
        return kind


@dataclass(frozen=True, slots=True)
class ConditionError:
    """One problem, at a dotted path inside the condition (``all.1.value``; ``""`` is the root)."""

    path: str
    message: str
    code: str

    def field_error(self, prefix: str) -> dict[str, str]:
        """The problem as the API's ``errors`` item, under ``prefix`` (e.g. ``condition``)."""
        where = ".".join(part for part in (prefix, self.path) if part)
        return {"field": where or "body", "message": self.message, "code": self.code}


def _operands(comparison: Comparison) -> list[tuple[Loc, Operand]]:
    if isinstance(comparison, EqualityComparison | OrderComparison | ContainsComparison):
        return [(("value",), comparison.operand)]
    if isinstance(comparison, MembershipComparison):
        return [(("value", i), operand) for i, operand in enumerate(comparison.operands)]
    if isinstance(comparison, BetweenComparison):
        return [(("value", 0), comparison.low), (("value", 1), comparison.high)]
    return []


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def _check_metric(loc: Loc, comparison: Comparison, catalog: FieldCatalog) -> list[ConditionError]:
    name = comparison.ref.name
    kind = catalog.metric_kind(name)
    if kind is None:
        return [
            ConditionError(
                dotted((*loc, "field")),
                f"no metric '{name}' in this workspace{_suggest(name, catalog.metrics)}",
                "unknown_metric",
            )
        ]
    if isinstance(comparison, ExistsComparison):
        return []
    if isinstance(comparison, AgeComparison):
        if kind == "timestamp":
            return []
        return [
            ConditionError(
                dotted((*loc, "op")),
                f"'{comparison.op}' applies to timestamps; metrics.{name} is a {kind} metric",
                "type_mismatch",
            )
        ]
    errors = []
    for at, operand in _operands(comparison):
        if kind == "timestamp" and not isinstance(operand, datetime):
            errors.append(
                ConditionError(
                    dotted((*loc, *at)),
                    f"metrics.{name} is a timestamp: compare it with a date-time such as "
                    '"2026-01-01T00:00:00Z", or use within_days / older_than_days',
                    "type_mismatch",
                )
            )
        elif kind in NUMERIC_KINDS and not isinstance(operand, Decimal):
            errors.append(
                ConditionError(
                    dotted((*loc, *at)),
                    f"metrics.{name} is a {kind} metric: compare it with a number",
                    "type_mismatch",
                )
            )
    return errors


def _check_tier(loc: Loc, comparison: Comparison, catalog: FieldCatalog) -> list[ConditionError]:
    scheme = comparison.ref.name
    tiers = catalog.schemes.get(scheme)
    if tiers is None:
        return [
            ConditionError(
                dotted((*loc, "field")),
                f"no scheme '{scheme}' in this workspace{_suggest(scheme, catalog.schemes)}",
                "unknown_scheme",
            )
        ]
    return [
        ConditionError(
            dotted((*loc, *at)),
            f"scheme '{scheme}' has no tier '{operand}' (its tiers: {', '.join(sorted(tiers))})",
            "unknown_tier",
        )
        for at, operand in _operands(comparison)
        if operand not in tiers
    ]


def check(condition: Node, catalog: FieldCatalog) -> list[ConditionError]:
    """Every reference to something that does not exist, and every number/timestamp mix-up."""
    errors: list[ConditionError] = []
    for loc, comparison in walk(condition):
        namespace = comparison.ref.namespace
        if namespace == "metrics":
            errors += _check_metric(loc, comparison, catalog)
        elif namespace == "tiers":
            errors += _check_tier(loc, comparison, catalog)
    return errors


def referenced_schemes(condition: Node) -> set[str]:
    """Schemes whose tiers the condition reads (for ordering schemes and finding cycles)."""
    return {c.ref.name for _, c in walk(condition) if c.ref.namespace == "tiers"}


def referenced_metrics(condition: Node) -> set[str]:
    return {c.ref.name for _, c in walk(condition) if c.ref.namespace == "metrics"}
