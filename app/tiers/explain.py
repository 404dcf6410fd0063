"""Why a customer holds its tier in a scheme, and what would move it.

Pure functions over one scheme version, the customer as the rules see it
(``CustomerView.facts``, with ``tiers`` as ``{scheme: tier key}``), its stored
assignment and now. Every truth here is ``app.rules.evaluate``'s, so an explanation cannot
disagree with classification.

What is missing for a tier, or would lose one, is the condition pruned to the comparisons that
have to flip: an ``all`` that must turn true needs each of its false children, an ``any`` one of
them; a ``not`` asks the opposite of its child. Amounts are exact and rounded to what the
customer can change:

- counts move in whole units: ``gt 3`` from 1 needs 3 more (to 4), ``gte 2.5`` from 1 needs 2;
- money moves in the base currency's minor units: ``gte 5000`` from 4600.00 EUR needs 400.00
  more, ``gt 5000`` 400.01 (in JPY, 401), shown as the profile shows money;
- other numbers (sums and averages of an event property) have no step: the exact difference,
  "more than" it for ``gt`` and ``lt``.

A margin ("to spare") is the exact distance from the value to the threshold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Literal

from app.clock import midnight, utc_day, window_start
from app.currencies import minor_units
from app.customers.metrics import WINDOWS
from app.money import format_money
from app.rules.evaluate import evaluate, holds, next_flip, read
from app.rules.fields import FieldCatalog, MetricKind, is_event_count
from app.rules.schema import (
    AgeComparison,
    AllCondition,
    AnyCondition,
    BetweenComparison,
    Comparison,
    ContainsComparison,
    EqualityComparison,
    ExistsComparison,
    Loc,
    MembershipComparison,
    Node,
    NotCondition,
    Operand,
    OrderComparison,
    dotted,
)
from app.tiers.assignment_schemas import TierAssignment
from app.tiers.explanation_schemas import (
    Amount,
    ExplainedAll,
    ExplainedAny,
    ExplainedComparison,
    ExplainedNode,
    ExplainedNot,
    ExplainedTier,
    Gap,
    GapAll,
    GapAny,
    GapNode,
    KeepTier,
    Margin,
    MarginAll,
    MarginAny,
    MarginNode,
    NextTier,
    TierExplanation,
)
from app.tiers.policy import Assignment, Scheme, shown

Relation = Literal["gte", "gt", "lte", "lt"]
_NEGATED: dict[Relation, Relation] = {"gte": "lt", "gt": "lte", "lte": "gt", "lt": "gte"}
_STEPPED: frozenset[MetricKind] = frozenset({"count", "money", "number"})
_WINDOWED: dict[str, tuple[Literal["spend", "orders"], int]] = {
    **{f"spend_{window}d": ("spend", window) for window in WINDOWS},
    **{f"orders_{window}d": ("orders", window) for window in WINDOWS},
}
_FAR = Decimal("Infinity")
"""The distance of a change that has no amount: after every change that has one."""

_MUST: dict[Relation, str] = {
    "gte": "be at least {}",
    "gt": "be more than {}",
    "lte": "be at most {}",
    "lt": "be less than {}",
}
_MUST_TIME: dict[Relation, str] = {
    "gte": "be at or after {}",
    "gt": "be after {}",
    "lte": "be at or before {}",
    "lt": "be before {}",
}
_CROSSING: dict[Relation, str] = {
    "lt": "falls below {}",
    "lte": "falls to {} or below",
    "gt": "rises above {}",
    "gte": "reaches {}",
}


@dataclass(frozen=True, slots=True)
class DayTotals:
    """One day of a customer's roll-ups: what leaves the built-in windows at its midnights."""

    day: date
    spend: Decimal
    orders: int


@dataclass(frozen=True, slots=True)
class _Target:
    """The order relation a comparison's field must satisfy; ``written`` is the threshold as
    the condition spells it."""

    relation: Relation
    bound: Operand
    written: Any

    def negated(self) -> _Target:
        return _Target(_NEGATED[self.relation], self.bound, self.written)


@dataclass(frozen=True, slots=True)
class _Leaf:
    """One comparison that must come to ``want``."""

    comparison: Comparison
    loc: Loc
    want: bool
    target: _Target | None
    distance: Decimal


@dataclass(frozen=True, slots=True)
class _Group:
    kind: Literal["all", "any"]
    items: list[_Need]


_Need = _Leaf | _Group


def explain(
    scheme: Scheme,
    customer: Mapping[str, Any],
    assignment: Assignment | None,
    now: datetime,
    catalog: FieldCatalog,
    currency: str,
    days: Sequence[DayTotals] = (),
) -> TierExplanation:
    """The customer's tier in ``scheme`` explained, amounts of money in ``currency`` (the
    workspace's base currency, which the customer's metrics are shown in). ``days`` are the
    customer's roll-ups of the longest built-in window, for the moments its windowed metrics
    drop on their own."""
    qualified = scheme.qualifies_for(customer, now)
    qualified_rank = scheme.rank(qualified)
    assert qualified_rank is not None
    held_rank = None if assignment is None else scheme.rank(assignment.tier)
    # A tier this version no longer has, or none at all, counts from the qualified one.
    base = qualified_rank if held_rank is None else held_rank
    lowest = max(base, qualified_rank)
    tiers = [
        _tier(tier.key, tier.name, explained(tier.condition, customer, now, days))
        for tier in scheme.tiers[: lowest + 1]
    ]
    if lowest == len(scheme.tiers):
        tiers.append(_tier(scheme.default_tier, None, None))

    next_tier = None
    if base > 0:
        above = scheme.tiers[base - 1]
        need = _needs(above.condition, customer, now, True, ())
        next_tier = NextTier(
            key=above.key,
            name=above.name,
            holds=need is None,
            missing=None if need is None else _gap_tree(need, customer, catalog, currency),
        )

    keep_tier = None
    if held_rank is not None and held_rank < len(scheme.tiers):
        held = scheme.tiers[held_rank]
        lose = _needs(held.condition, customer, now, False, ())
        regain = _needs(held.condition, customer, now, True, ())
        keep_tier = KeepTier(
            tier=held.key,
            holds=regain is None,
            lose_if=None
            if lose is None
            else _margin_tree(lose, customer, catalog, currency, now, days),
            missing=None if regain is None else _gap_tree(regain, customer, catalog, currency),
        )

    return TierExplanation(
        customer_id=customer["customer_id"],
        scheme=scheme.key,
        version=scheme.version,
        evaluated_at=now,
        current=None
        if assignment is None
        else TierAssignment.model_validate(shown({scheme.key: assignment})[scheme.key]),
        qualifies_for=qualified,
        pending_metrics=sorted(set(customer.get("pending_metrics") or ()) & scheme.reads_metrics),
        tiers=tiers,
        next_tier=next_tier,
        keep_tier=keep_tier,
    )


def _tier(key: str, name: str | None, condition: ExplainedNode | None) -> ExplainedTier:
    return ExplainedTier(
        key=key, name=name, holds=condition is None or condition.holds, condition=condition
    )


def explained(
    node: Node, customer: Mapping[str, Any], now: datetime, days: Sequence[DayTotals] = ()
) -> ExplainedNode:
    """The condition with each node's truth and each comparison's values, in its own shape."""
    if isinstance(node, AllCondition):
        items = [explained(item, customer, now, days) for item in node.all]
        return ExplainedAll(all=items, holds=all(item.holds for item in items))
    if isinstance(node, AnyCondition):
        items = [explained(item, customer, now, days) for item in node.any]
        return ExplainedAny(any=items, holds=any(item.holds for item in items))
    if isinstance(node, NotCondition):
        inner = explained(node.not_, customer, now, days)
        return ExplainedNot(not_=inner, holds=not inner.holds)
    return ExplainedComparison(
        field=node.field,
        op=node.op,
        value=node.value,
        actual=actual(node, customer),
        holds=holds(node, read(node, customer), utc_day(now)),
        changes_at=changes_at(node, customer, now, days),
    )


def actual(comparison: Comparison, customer: Mapping[str, Any]) -> Any:
    """The field's value as the profile shows it (``read`` gives it as the engine compares it)."""
    ref = comparison.ref
    if ref.namespace == "metrics":
        metrics = customer.get("metrics") or {}
        if ref.name not in metrics and is_event_count(ref.name):
            return 0
        return metrics.get(ref.name)
    if ref.namespace == "traits":
        node: Any = customer.get("traits")
        for key in ref.path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node
    if ref.namespace == "tiers":
        return (customer.get("tiers") or {}).get(ref.name)
    return customer.get("created_at")


def changes_at(
    comparison: Comparison,
    customer: Mapping[str, Any],
    now: datetime,
    days: Sequence[DayTotals] = (),
) -> datetime | None:
    """The next moment the comparison flips with no new event, when it can be known: a time
    comparison (``next_flip``), or a built-in windowed metric as its days leave the window."""
    flip = next_flip(comparison, customer, now)
    if flip is None and comparison.ref.namespace == "metrics":
        window = _WINDOWED.get(comparison.ref.name)
        if window is not None:
            flip = _window_flip(comparison, customer, now, days, *window)
    return flip


def _window_flip(
    comparison: Comparison,
    customer: Mapping[str, Any],
    now: datetime,
    days: Sequence[DayTotals],
    measure: Literal["spend", "orders"],
    window: int,
) -> datetime | None:
    value = read(comparison, customer)
    if not isinstance(value, Decimal):
        return None
    today = utc_day(now)
    truth = holds(comparison, value, today)
    start = window_start(today, window)
    for day in sorted(days, key=lambda d: d.day):
        if day.day < start:
            continue
        value -= day.spend if measure == "spend" else day.orders
        if holds(comparison, value, today) != truth:
            # A day counts up to and including day + window - 1 (see app.customers.metrics).
            return midnight(day.day + timedelta(days=window))
    return None


def _needs(
    node: Node, customer: Mapping[str, Any], now: datetime, want: bool, loc: Loc
) -> _Need | None:
    """What must change for ``node`` to become ``want``; None when it already is."""
    if evaluate(node, customer, now) == want:
        return None
    if isinstance(node, NotCondition):
        return _needs(node.not_, customer, now, not want, (*loc, "not"))
    if isinstance(node, AllCondition | AnyCondition):
        key: Literal["all", "any"] = "all" if isinstance(node, AllCondition) else "any"
        items = node.all if isinstance(node, AllCondition) else node.any
        children = [
            need
            for i, item in enumerate(items)
            if (need := _needs(item, customer, now, want, (*loc, key, i))) is not None
        ]
        # An `all` turns true, or an `any` false, only when each child does; else one will do.
        return _group("all" if (key == "all") == want else "any", children)
    return _flip(node, customer, want, loc)


def _flip(comparison: Comparison, customer: Mapping[str, Any], want: bool, loc: Loc) -> _Need:
    value = read(comparison, customer)
    if isinstance(comparison, OrderComparison):
        relation = comparison.op if want else _NEGATED[comparison.op]
        return _leaf(
            comparison, loc, want, _Target(relation, comparison.operand, comparison.value), value
        )
    if isinstance(comparison, BetweenComparison):
        low = _Target("gte", comparison.low, comparison.value[0])
        high = _Target("lte", comparison.high, comparison.value[1])
        if not want:  # it holds: leaving the range on either side will do
            return _group(
                "any",
                [
                    _leaf(comparison, loc, want, low.negated(), value),
                    _leaf(comparison, loc, want, high.negated(), value),
                ],
            )
        side = _compare(value, comparison.low)
        if side is not None and side < 0:
            return _leaf(comparison, loc, want, low, value)
        if side is not None:
            return _leaf(comparison, loc, want, high, value)
    return _leaf(comparison, loc, want, None, value)


def _compare(value: Any, bound: Operand) -> int | None:
    if isinstance(value, Decimal) and isinstance(bound, Decimal):
        return (value > bound) - (value < bound)
    if isinstance(value, datetime) and isinstance(bound, datetime):
        return (value > bound) - (value < bound)
    return None


def _leaf(
    comparison: Comparison, loc: Loc, want: bool, target: _Target | None, value: Any
) -> _Leaf:
    distance = _FAR
    if target is not None and isinstance(value, Decimal) and isinstance(target.bound, Decimal):
        distance = abs(value - target.bound)
        if target.bound:
            distance /= abs(target.bound)
    return _Leaf(comparison, loc, want, target, distance)


def _group(kind: Literal["all", "any"], items: list[_Need]) -> _Need:
    if len(items) == 1:
        return items[0]
    if kind == "any":
        items = sorted(items, key=_cost)
    return _Group(kind, items)


def _cost(need: _Need) -> tuple[int, Decimal]:
    """Fewer comparisons to change first, then the smaller change relative to thresholds."""
    if isinstance(need, _Leaf):
        return 1, need.distance
    costs = [_cost(item) for item in need.items]
    if need.kind == "any":
        return min(costs, default=(0, _FAR))
    return sum(count for count, _ in costs), sum((d for _, d in costs), Decimal(0))


def _numeric(
    leaf: _Leaf, customer: Mapping[str, Any], catalog: FieldCatalog
) -> tuple[MetricKind, Decimal, Decimal] | None:
    """The metric's kind, value and threshold when the change can be given as an amount."""
    comparison, target = leaf.comparison, leaf.target
    if comparison.ref.namespace != "metrics" or target is None:
        return None
    kind = catalog.metric_kind(comparison.ref.name)
    value = read(comparison, customer)
    if kind not in _STEPPED or not isinstance(value, Decimal):
        return None
    if not isinstance(target.bound, Decimal):
        return None
    return kind, value, target.bound


def _gap_tree(
    need: _Need, customer: Mapping[str, Any], catalog: FieldCatalog, currency: str
) -> GapNode:
    if isinstance(need, _Group):
        items = [_gap_tree(item, customer, catalog, currency) for item in need.items]
        return GapAll(all=items) if need.kind == "all" else GapAny(any=items)
    return _gap(need, customer, catalog, currency)


def _gap(leaf: _Leaf, customer: Mapping[str, Any], catalog: FieldCatalog, currency: str) -> Gap:
    comparison = leaf.comparison
    shown_value = actual(comparison, customer)
    numeric = _numeric(leaf, customer, catalog)
    missing: Amount | None = None
    direction: Literal["increase", "decrease"] | None = None
    if numeric is None or leaf.target is None:
        requirement = _requirement(comparison, leaf.want, leaf.target)
        text = f"{comparison.field} must {requirement} (now {_display(shown_value, comparison)})"
    else:
        kind, value, bound = numeric
        relation = leaf.target.relation
        increase = relation in ("gte", "gt")
        amount = bound - value if increase else value - bound
        strict = relation in ("gt", "lt")
        step = _step(kind, currency)
        if step is not None:
            amount = (
                amount.quantize(step, ROUND_FLOOR) + step
                if strict
                else amount.quantize(step, ROUND_CEILING)
            )
        missing = _amount(kind, amount, currency)
        direction = "increase" if increase else "decrease"
        more_than = "more than " if strict and step is None else ""
        text = f"{more_than}{missing} {'more' if increase else 'less'} {comparison.ref.name}"
    return Gap(
        path=dotted(leaf.loc),
        field=comparison.field,
        op=comparison.op,
        value=comparison.value,
        actual=shown_value,
        missing=missing,
        direction=direction,
        text=text,
    )


def _margin_tree(
    need: _Need,
    customer: Mapping[str, Any],
    catalog: FieldCatalog,
    currency: str,
    now: datetime,
    days: Sequence[DayTotals],
) -> MarginNode:
    if isinstance(need, _Group):
        items = [_margin_tree(item, customer, catalog, currency, now, days) for item in need.items]
        return MarginAll(all=items) if need.kind == "all" else MarginAny(any=items)
    return _margin(need, customer, catalog, currency, now, days)


def _margin(
    leaf: _Leaf,
    customer: Mapping[str, Any],
    catalog: FieldCatalog,
    currency: str,
    now: datetime,
    days: Sequence[DayTotals],
) -> Margin:
    comparison = leaf.comparison
    shown_value = actual(comparison, customer)
    now_text = _display(shown_value, comparison)
    numeric = _numeric(leaf, customer, catalog)
    spare: Amount | None = None
    if numeric is None or leaf.target is None:
        target = None if leaf.target is None else leaf.target.negated()
        requirement = _requirement(comparison, not leaf.want, target)
        text = f"{comparison.field} must still {requirement} (now {now_text}"
    else:
        kind, value, bound = numeric
        spare = _amount(kind, abs(value - bound), currency)
        crossing = _CROSSING[leaf.target.relation].format(_written(leaf.target.written))
        text = f"{comparison.ref.name} {crossing} (now {now_text}: {spare} to spare"
    flip = changes_at(comparison, customer, now, days)
    if flip is not None:
        text += f"; flips at {_display(flip)} with no new events"
    return Margin(
        path=dotted(leaf.loc),
        field=comparison.field,
        op=comparison.op,
        value=comparison.value,
        actual=shown_value,
        spare=spare,
        changes_at=flip,
        text=text + ")",
    )


def _step(kind: MetricKind, currency: str) -> Decimal | None:
    """The least change of a metric of ``kind``: a whole count, the base currency's minor
    unit of money; None for other numbers, which change by any amount."""
    if kind == "count":
        return Decimal(1)
    if kind == "money":
        return Decimal(1).scaleb(-minor_units(currency))
    return None


def _amount(kind: MetricKind, amount: Decimal, currency: str) -> Amount:
    if kind == "money":
        return format_money(amount, currency)
    if kind == "count" and amount == amount.to_integral_value():
        return int(amount)
    return f"{amount.normalize():f}"


def _requirement(comparison: Comparison, truth: bool, target: _Target | None) -> str:
    """What the comparison holding (``truth``) or not says, as the words after "must"."""
    if target is not None:
        words = _MUST_TIME if isinstance(target.bound, datetime) else _MUST
        return words[target.relation].format(_written(target.written))
    be = "be" if truth else "not be"
    if isinstance(comparison, EqualityComparison):
        same = (comparison.op == "eq") == truth
        return f"{'be' if same else 'not be'} {_json(comparison.value)}"
    if isinstance(comparison, MembershipComparison):
        inside = (comparison.op == "in") == truth
        return f"{'be' if inside else 'not be'} one of {_json(comparison.value)}"
    if isinstance(comparison, ExistsComparison):
        return "have a value" if comparison.value == truth else "have no value"
    if isinstance(comparison, ContainsComparison):
        return f"{'contain' if truth else 'not contain'} {_json(comparison.value)}"
    if isinstance(comparison, AgeComparison):
        if comparison.op == "within_days":
            return f"{be} within the last {comparison.value} days"
        return f"{be} at least {comparison.value} days old"
    # Order comparisons always come with a target; a between does when its value compares.
    assert isinstance(comparison, BetweenComparison)
    low, high = (_written(bound) for bound in comparison.value)
    return f"{be} between {low} and {high}"


def _written(value: Any) -> str:
    """A threshold as the condition spells it: decimal and date-time strings bare."""
    return value if isinstance(value, str) else _json(value)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _display(value: Any, comparison: Comparison | None = None) -> str:
    """A value in a text: metric numbers and moments bare, trait and tier strings quoted."""
    if isinstance(value, str) and comparison is not None:
        return value if comparison.ref.namespace == "metrics" else _json(value)
    if value is None:
        return "no value"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value if isinstance(value, str) else _json(value)
