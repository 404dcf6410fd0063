"""The Python engine: a condition against one customer's facts, a mapping of ``metrics``,
``traits``, ``tiers`` (``{scheme: tier key}``) and ``created_at`` (the caller builds it:
``CustomerView.facts`` in ``app.customers.service``).

The rules it follows are in ``app.rules``; ``app.rules.compile`` follows the same ones in SQL,
and a property test holds the two equal. Both assume the condition passed
``app.rules.fields.check``; here an unchecked mix-up is merely false.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from app.clock import midnight, utc_day
from app.rules.fields import AGING_METRICS, is_event_count
from app.rules.schema import (
    AgeComparison,
    AllCondition,
    AnyCondition,
    BetweenComparison,
    Comparison,
    ContainsComparison,
    EqualityComparison,
    ExistsComparison,
    MembershipComparison,
    Node,
    NotCondition,
    Operand,
    OrderComparison,
    walk,
)

AGING_HORIZON_DAYS = 100_000
"""Thresholds of aging metrics further than this are never reached (about 270 years)."""

Value = Decimal | datetime | str | bool | list[Any] | dict[str, Any] | None
"""A field's value as the engine compares it: JSON numbers and metric numbers as Decimals."""


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    return None


def _json(value: Any) -> Value:
    """A trait (or an element of one) as a comparable value, keeping its JSON type."""
    if isinstance(value, bool | str | list | dict) or value is None:
        return value
    return _number(value)


def _metric(value: Any) -> Decimal | datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return _number(value)


def read(comparison: Comparison, customer: Mapping[str, Any]) -> Value:
    """The value the comparison's field has for this customer (None when it has none)."""
    ref = comparison.ref
    if ref.namespace == "metrics":
        metrics = customer.get("metrics") or {}
        if ref.name not in metrics and is_event_count(ref.name):
            return Decimal(0)
        return _metric(metrics.get(ref.name))
    if ref.namespace == "traits":
        node: Any = customer.get("traits")
        for key in ref.path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return _json(node)
    if ref.namespace == "tiers":
        tier = (customer.get("tiers") or {}).get(ref.name)
        return tier if isinstance(tier, str) else None
    return _metric(customer.get("created_at"))


def _equal(value: Value, operand: Operand) -> bool:
    """Equal and of one type; ``True`` is not ``1`` and ``"10"`` is not ``10``."""
    if isinstance(operand, bool) or isinstance(value, bool):
        return isinstance(operand, bool) and isinstance(value, bool) and value == operand
    if isinstance(operand, Decimal):
        return isinstance(value, Decimal) and value == operand
    if isinstance(operand, datetime):
        return isinstance(value, datetime) and value == operand
    return isinstance(value, str) and value == operand


def _order(value: Value, operand: Operand) -> int | None:
    """-1, 0 or 1 when the two compare (numbers with numbers, timestamps with timestamps)."""
    if isinstance(operand, Decimal) and isinstance(value, Decimal):
        return (value > operand) - (value < operand)
    if isinstance(operand, datetime) and isinstance(value, datetime):
        return (value > operand) - (value < operand)
    return None


def age_cutoff(days: int, today: date) -> datetime:
    """The first moment inside a window of ``days`` whole UTC days ending today."""
    return midnight(today - timedelta(days=days - 1))


def holds(comparison: Comparison, value: Value, today: date) -> bool:
    """One comparison against the field's value."""
    if isinstance(comparison, ExistsComparison):
        return (value is not None) == comparison.value
    if isinstance(comparison, EqualityComparison):
        return _equal(value, comparison.operand) == (comparison.op == "eq")
    if isinstance(comparison, MembershipComparison):
        member = any(_equal(value, operand) for operand in comparison.operands)
        return member == (comparison.op == "in")
    if isinstance(comparison, OrderComparison):
        order = _order(value, comparison.operand)
        if order is None:
            return False
        return {"gt": order > 0, "gte": order >= 0, "lt": order < 0, "lte": order <= 0}[
            comparison.op
        ]
    if isinstance(comparison, BetweenComparison):
        low, high = _order(value, comparison.low), _order(value, comparison.high)
        return low is not None and high is not None and low >= 0 and high <= 0
    if isinstance(comparison, ContainsComparison):
        operand = comparison.operand
        if isinstance(value, str) and isinstance(operand, str):
            return operand in value
        if isinstance(value, list):
            return any(_equal(_json(element), operand) for element in value)
        return False
    assert isinstance(comparison, AgeComparison)
    if not isinstance(value, datetime):
        return False
    within = value >= age_cutoff(comparison.value, today)
    return within == (comparison.op == "within_days")


def evaluate(condition: Node, customer: Mapping[str, Any], now: datetime) -> bool:
    today = utc_day(now)
    return _evaluate(condition, customer, today)


def _evaluate(node: Node, customer: Mapping[str, Any], today: date) -> bool:
    if isinstance(node, AllCondition):
        return all(_evaluate(item, customer, today) for item in node.all)
    if isinstance(node, AnyCondition):
        return any(_evaluate(item, customer, today) for item in node.any)
    if isinstance(node, NotCondition):
        return not _evaluate(node.not_, customer, today)
    return holds(node, read(node, customer), today)


def aging_thresholds(comparison: Comparison) -> list[tuple[int, bool]]:
    """For a comparison on a metric that grows by one every midnight: the values at which its
    truth may change, with its truth at each, ascending, within ``AGING_HORIZON_DAYS``.

    Between two such values the truth is constant, so the first of them above today's value
    whose truth differs from today's is the day the comparison flips.
    """
    bounds: list[Operand]
    if isinstance(comparison, EqualityComparison | OrderComparison):
        bounds = [comparison.operand]
    elif isinstance(comparison, MembershipComparison):
        bounds = list(comparison.operands)
    elif isinstance(comparison, BetweenComparison):
        bounds = [comparison.low, comparison.high]
    else:
        return []
    candidates: set[int] = set()
    for bound in bounds:
        if isinstance(bound, Decimal):
            floor = int(bound.to_integral_value(ROUND_FLOOR))
            ceiling = int(bound.to_integral_value(ROUND_CEILING))
            candidates |= {floor, floor + 1, ceiling, ceiling + 1}
    return [
        (candidate, holds(comparison, Decimal(candidate), date.min))
        for candidate in sorted(candidates)
        if 0 <= candidate <= AGING_HORIZON_DAYS
    ]


@dataclass(frozen=True, slots=True)
class Timed:
    """A comparison that time alone can flip, with its aging thresholds (``aging_thresholds``,
    for a comparison on an aging metric) worked out once."""

    comparison: Comparison
    thresholds: tuple[tuple[int, bool], ...] = ()


def _flip(timed: Timed, customer: Mapping[str, Any], today: date) -> datetime | None:
    comparison = timed.comparison
    value = read(comparison, customer)
    if isinstance(comparison, AgeComparison):
        if not isinstance(value, datetime):
            return None
        boundary = utc_day(value) + timedelta(days=comparison.value)
        return midnight(boundary) if boundary > today else None
    if not isinstance(value, Decimal) or value != value.to_integral_value():
        return None
    current = holds(comparison, value, today)
    for candidate, truth in timed.thresholds:
        if candidate > value and truth != current:
            return midnight(today + timedelta(days=candidate - int(value)))
    return None


def next_flip(condition: Node, customer: Mapping[str, Any], now: datetime) -> datetime | None:
    """The next midnight after ``now`` at which a time comparison in the condition changes its
    value for this customer with no new data: a ``within_days`` / ``older_than_days`` whose
    timestamp crosses the boundary, or a comparison on an aging metric
    (``days_since_last_order``) whose threshold is reached. None when nothing will flip.

    An aging metric is taken to grow by one every midnight; for a last order dated after today
    (events may be a few minutes early) it waits a day, so the moment is then a day early:
    an extra review that changes nothing, never a late one.
    """
    return next_flip_among(time_comparisons(condition), customer, now)


def time_comparisons(condition: Node) -> tuple[Timed, ...]:
    """The comparisons of the condition that time alone can flip (see ``next_flip``): found
    once per parsed condition by those that keep it (a scheme or segment version)."""
    found: list[Timed] = []
    for _, comparison in walk(condition):
        if isinstance(comparison, AgeComparison):
            found.append(Timed(comparison))
        elif comparison.ref.namespace == "metrics" and comparison.ref.name in AGING_METRICS:
            found.append(Timed(comparison, tuple(aging_thresholds(comparison))))
    return tuple(found)


def next_flip_among(
    timed: Iterable[Timed], customer: Mapping[str, Any], now: datetime
) -> datetime | None:
    """``next_flip`` of a condition whose ``time_comparisons`` these are."""
    today = utc_day(now)
    moments = [moment for each in timed if (moment := _flip(each, customer, today)) is not None]
    return min(moments, default=None)
