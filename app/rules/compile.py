"""The SQL engine: a condition as a SQLAlchemy Core boolean over the caller's FROM.

The caller says where each field lives (``Columns``): an SQL expression per metric (a column,
or anything computed from roll-ups), the traits jsonb, the tier key per scheme, and
``created_at``. Every value from the condition and every moment derived from ``now`` is a bound
parameter; nothing from a request is ever part of the SQL text.

The result follows the rules in ``app.rules`` exactly as ``app.rules.evaluate`` does: each
comparison is wrapped so that it is never NULL (a missing value makes it false, and ``ne``,
``not_in`` and ``exists: false`` are its negations), and traits compare as jsonb, so their JSON
type counts and numbers compare as numeric. It assumes the condition passed
``app.rules.fields.check`` (a number compared with a timestamp metric would be an SQL error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.sql.elements import ColumnElement

from app.clock import utc_day
from app.rules.evaluate import age_cutoff, aging_thresholds
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

TZ = TIMESTAMP(timezone=True)
SqlExpr = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each field lives in the caller's FROM.

    ``metric(name)``: a numeric (or integer) expression for number, money and count metrics, a
    timestamptz one for timestamp metrics, NULL when the customer has no value; ``traits``: the
    jsonb object; ``tier(scheme)``: the tier key as text, NULL when none; ``created_at``: a
    timestamptz. A name the caller does not know may raise ``KeyError``: conditions are checked
    against the workspace first.
    """

    metric: Callable[[str], SqlExpr]
    traits: SqlExpr
    tier: Callable[[str], SqlExpr]
    created_at: SqlExpr


def _param(operand: Operand) -> SqlExpr:
    if isinstance(operand, Decimal):
        return sa.literal(operand, sa.Numeric())
    if isinstance(operand, datetime):
        return sa.literal(operand, TZ)
    return sa.literal(operand, sa.Text())


def _json_text(operand: Operand) -> str:
    if isinstance(operand, Decimal):
        return str(operand)  # an exact JSON number, exponent included ("1E+2")
    return json.dumps(operand)


def _jsonb(operand: Operand) -> SqlExpr:
    return sa.cast(sa.literal(_json_text(operand), sa.Text()), JSONB)


def _jsonb_list(operands: tuple[Operand, ...]) -> SqlExpr:
    text = "[" + ",".join(_json_text(operand) for operand in operands) + "]"
    return sa.cast(sa.literal(text, sa.Text()), JSONB)


def _array(operands: list[Operand]) -> SqlExpr:
    element: sa.types.TypeEngine[Any] = sa.Text()
    if isinstance(operands[0], Decimal):
        element = sa.Numeric()
    elif isinstance(operands[0], datetime):
        element = TZ
    return sa.literal(operands, ARRAY(element))


def _false_if_null(expr: SqlExpr) -> SqlExpr:
    return sa.func.coalesce(expr, sa.false())


@dataclass(frozen=True, slots=True)
class _Trait:
    value: SqlExpr  # jsonb, NULL when a key on the path is missing
    text: SqlExpr  # the same value as text (->>), unquoted for strings

    @property
    def type(self) -> SqlExpr:
        return sa.func.jsonb_typeof(self.value)


def _trait(columns: Columns, path: tuple[str, ...]) -> _Trait:
    parent = columns.traits
    for key in path[:-1]:
        parent = parent.op("->", return_type=JSONB)(sa.literal(key, sa.Text()))
    last = sa.literal(path[-1], sa.Text())
    return _Trait(
        parent.op("->", return_type=JSONB)(last), parent.op("->>", return_type=sa.Text)(last)
    )


def _scalar_expr(comparison: Comparison, columns: Columns) -> SqlExpr:
    ref = comparison.ref
    if ref.namespace == "metrics":
        expr = columns.metric(ref.name)
        return sa.func.coalesce(expr, 0) if is_event_count(ref.name) else expr
    if ref.namespace == "tiers":
        return columns.tier(ref.name)
    return columns.created_at


def _order(op: str, left: SqlExpr, right: SqlExpr) -> SqlExpr:
    if op == "gt":
        return left > right
    if op == "gte":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right


def _scalar_holds(comparison: Comparison, x: SqlExpr, today: date) -> SqlExpr:
    """The positive form of the comparison over a typed SQL value (NULL when it has none)."""
    if isinstance(comparison, ExistsComparison):
        return x.is_not(None)
    if isinstance(comparison, EqualityComparison):
        return x == _param(comparison.operand)
    if isinstance(comparison, MembershipComparison):
        groups: dict[type, list[Operand]] = {}
        for operand in comparison.operands:
            groups.setdefault(type(operand), []).append(operand)
        return sa.or_(*(x == sa.any_(_array(group)) for group in groups.values()))
    if isinstance(comparison, OrderComparison):
        return _order(comparison.op, x, _param(comparison.operand))
    if isinstance(comparison, BetweenComparison):
        return sa.and_(x >= _param(comparison.low), x <= _param(comparison.high))
    if isinstance(comparison, AgeComparison):
        cutoff = sa.literal(age_cutoff(comparison.value, today), TZ)
        return x >= cutoff if comparison.op == "within_days" else x < cutoff
    raise ValueError(f"'{comparison.op}' does not apply to {comparison.ref}")


def _trait_holds(comparison: Comparison, t: _Trait) -> SqlExpr:
    if isinstance(comparison, ExistsComparison):
        return t.type != "null"
    if isinstance(comparison, EqualityComparison):
        return t.value == _jsonb(comparison.operand)
    if isinstance(comparison, MembershipComparison):
        # The list holds scalars only, so an array or object value is in it never.
        return _jsonb_list(comparison.operands).op("@>", return_type=sa.Boolean)(
            sa.func.jsonb_build_array(t.value)
        )
    if isinstance(comparison, OrderComparison):
        return sa.and_(
            t.type == "number", _order(comparison.op, t.value, _jsonb(comparison.operand))
        )
    if isinstance(comparison, BetweenComparison):
        return sa.and_(
            t.type == "number",
            t.value >= _jsonb(comparison.low),
            t.value <= _jsonb(comparison.high),
        )
    if isinstance(comparison, ContainsComparison):
        operand = comparison.operand
        # An array holding the operand as an element; jsonb containment of an array is false
        # for a scalar or object value, and does not look inside nested arrays.
        member = t.value.op("@>", return_type=sa.Boolean)(
            sa.func.jsonb_build_array(_jsonb(operand))
        )
        if not isinstance(operand, str):
            return member
        substring = sa.and_(
            t.type == "string", sa.func.strpos(t.text, sa.literal(operand, sa.Text())) > 0
        )
        return sa.or_(substring, member)
    raise ValueError(f"'{comparison.op}' does not apply to {comparison.ref}")


_NEGATIONS = {"ne", "not_in"}


def compile_comparison(comparison: Comparison, columns: Columns, today: date) -> SqlExpr:
    """One comparison as a boolean that is never NULL."""
    if comparison.ref.namespace == "traits":
        positive = _trait_holds(comparison, _trait(columns, comparison.ref.path))
    else:
        positive = _scalar_holds(comparison, _scalar_expr(comparison, columns), today)
    holds = _false_if_null(positive)
    negated = comparison.op in _NEGATIONS or (
        isinstance(comparison, ExistsComparison) and not comparison.value
    )
    return sa.not_(holds) if negated else holds


def compile_condition(condition: Node, columns: Columns, now: datetime) -> SqlExpr:
    """The condition as a boolean expression (never NULL) for a WHERE or a SELECT list."""
    return _compile(condition, columns, utc_day(now))


def _compile(node: Node, columns: Columns, today: date) -> SqlExpr:
    if isinstance(node, AllCondition):
        if not node.all:
            return sa.true()
        return sa.and_(*(_compile(item, columns, today) for item in node.all))
    if isinstance(node, AnyCondition):
        if not node.any:
            return sa.false()
        return sa.or_(*(_compile(item, columns, today) for item in node.any))
    if isinstance(node, NotCondition):
        return sa.not_(_compile(node.not_, columns, today))
    return compile_comparison(node, columns, today)


def _midnight(day: SqlExpr) -> SqlExpr:
    """A date as the timestamptz of its UTC midnight, whatever the session's time zone."""
    return sa.func.timezone("UTC", sa.cast(day, sa.DateTime()))


def _flip(comparison: Comparison, columns: Columns, today: date) -> SqlExpr | None:
    ref = comparison.ref
    if isinstance(comparison, AgeComparison):
        x = _scalar_expr(comparison, columns)
        utc_date = sa.cast(sa.func.timezone("UTC", x), sa.Date())
        boundary = utc_date + sa.literal(comparison.value, sa.Integer())
        cutoff = sa.literal(age_cutoff(comparison.value, today), TZ)
        return sa.case((x >= cutoff, _midnight(boundary)))
    if ref.namespace != "metrics" or ref.name not in AGING_METRICS:
        return None
    thresholds = aging_thresholds(comparison)
    if not thresholds:
        return None
    x = sa.cast(_scalar_expr(comparison, columns), sa.Integer())
    now_holds = compile_comparison(comparison, columns, today)
    steps = (
        sa.func.unnest(
            sa.literal([value for value, _ in thresholds], ARRAY(sa.Integer())),
            sa.literal([truth for _, truth in thresholds], ARRAY(sa.Boolean())),
        )
        .table_valued("value", "truth")
        .render_derived()
    )
    reached = (
        sa.select(sa.func.min(steps.c.value))
        .where(steps.c.value > x, steps.c.truth != now_holds)
        .scalar_subquery()
    )
    return _midnight(sa.literal(today, sa.Date()) + (reached - x))


def compile_next_flip(condition: Node, columns: Columns, now: datetime) -> SqlExpr:
    """``app.rules.evaluate.next_flip`` in SQL: a timestamptz expression, NULL when nothing in
    the condition will flip for the row."""
    today = utc_day(now)
    moments = [
        moment
        for _, comparison in walk(condition)
        if (moment := _flip(comparison, columns, today)) is not None
    ]
    if not moments:
        return sa.cast(sa.null(), TZ)
    if len(moments) == 1:
        return moments[0]
    return sa.func.least(*moments, type_=TZ)
