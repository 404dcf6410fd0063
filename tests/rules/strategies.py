"""Hypothesis strategies for conditions and customers, dense around the places engines disagree:
window boundaries (00:00:00 and 23:59:59.999999 on boundary days), equal numbers written
differently, traits of every JSON type, missing and null values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from app.clock import midnight
from app.money import format_money
from app.rules.fields import FieldCatalog

TODAY = date(2026, 11, 20)
SCHEMES = {"value": ("vip", "regular", "potential"), "rfm": ("champions", "loyal", "lost")}
AGES = (0, 1, 2, 7, 30, 365)
CATALOG = FieldCatalog(
    metrics={
        "spend_365d": "money",
        "lifetime_spend": "money",
        "avg_order_value": "money",
        "order_count": "count",
        "days_since_last_order": "count",
        "score_avg": "number",
        "last_order_at": "timestamp",
        "first_order_at": "timestamp",
    },
    schemes={key: frozenset(tiers) for key, tiers in SCHEMES.items()},
)
NUMBER_METRICS = ("spend_365d", "lifetime_spend", "avg_order_value", "score_avg")
COUNT_METRICS = ("order_count", "days_since_last_order", "visit_count", "support_ticket_count")
TIMESTAMP_FIELDS = ("metrics.last_order_at", "metrics.first_order_at", "customer.created_at")
TRAIT_FIELDS = (
    "traits.region",
    "traits.tags",
    "traits.score",
    "traits.nested",
    "traits.nested.level",
    "traits.nested.EU",
    "traits.missing",
    "traits.region.level",
)

TIMES = (
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=12),
    timedelta(hours=23, minutes=59, seconds=59),
    timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
)
BOUNDARY_DAYS = sorted({offset for age in AGES for offset in (-age - 1, -age, -age + 1)} | {1})

# Where within_days / older_than_days switch, and the microsecond before.
_PINNED = sorted(
    {midnight(TODAY - timedelta(days=age - 1)) - tick for age in AGES for tick in (TIMES[:2])}
)


def _palette(values: st.SearchStrategy[Any], key: str) -> st.SearchStrategy[list[Any]]:
    """A few values drawn once per example: customers and conditions that both draw from it
    share values, so comparisons hit equality and boundaries often."""
    return st.shared(st.lists(values, min_size=1, max_size=3), key=key)


def _mostly(
    palette: st.SearchStrategy[list[Any]],
    values: st.SearchStrategy[Any],
    keep: Callable[[Any], bool] = lambda _: True,
) -> st.SearchStrategy[Any]:
    """Two times in three from the example's palette, else anything."""
    kept = palette.map(lambda chosen: [v for v in chosen if keep(v)])
    shared = kept.flatmap(lambda chosen: st.sampled_from(chosen) if chosen else values.filter(keep))
    return st.one_of(shared, shared, values.filter(keep))


nows = st.sampled_from(TIMES).map(lambda t: midnight(TODAY) + t)
day_offsets = st.one_of(st.sampled_from(BOUNDARY_DAYS), st.integers(-400, 1))
_MOMENTS = st.one_of(
    st.sampled_from(_PINNED),
    st.builds(
        lambda d, t: midnight(TODAY + timedelta(days=d)) + t, day_offsets, st.sampled_from(TIMES)
    ),
)
moments = _mostly(_palette(_MOMENTS, "moments"), _MOMENTS)

_MONEY = tuple(
    Decimal(x) for x in ("0", "0.00", "0.01", "99.99", "100", "100.00", "100.005", "5000", "-3.50")
)
_MONEY_VALUES = st.one_of(
    st.sampled_from(_MONEY),
    st.decimals(min_value=-1000, max_value=10_000, places=2, allow_nan=False),
)
money = _mostly(_palette(_MONEY_VALUES, "money"), _MONEY_VALUES)
_COUNTS = st.one_of(st.sampled_from([0, 1, 2, 7, 29, 30, 31, 365]), st.integers(0, 400))
counts = _mostly(_palette(_COUNTS, "counts"), _COUNTS)


def _number_value(draw: st.DrawFn, value: Decimal) -> Any:
    """A number as a condition may write it: a decimal string, an integer or a float."""
    forms: list[Any] = [str(value)]
    if value == value.to_integral_value():
        forms.append(int(value))
    forms.append(float(value))
    return draw(st.sampled_from(forms))


@st.composite
def numbers(draw: st.DrawFn) -> Any:
    value = draw(st.one_of(money, counts.map(Decimal), st.sampled_from([Decimal("29.5")])))
    return _number_value(draw, value)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    moment: datetime = draw(moments)
    zone = draw(st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]))
    return moment.astimezone(zone).isoformat()


# Trait values and the values conditions compare them with come from one family of look-alikes
# per example: equal numbers written differently (10 and 10.0), and the same text or number as
# another JSON type ("10", true and 1, false and 0 and "").
TRAIT_FAMILIES: tuple[list[Any], ...] = (
    [10, 10.0, "10", 1e1],
    [True, 1, "true", 1.0],
    [False, 0, "", 0.0, None],
    ["EU", "eu", "E", "EU "],
    [2.5, "2.5", -1.5, 2**60 + 1, 2**60, 1e20],
    ["Ünï", "Ü", "a b", "b"],
)
_TRAIT_POOL = st.one_of(
    st.sampled_from([x for family in TRAIT_FAMILIES for x in family]), st.none()
)
_TRAIT_PALETTE = st.shared(st.sampled_from(TRAIT_FAMILIES), key="traits")
trait_scalars = _mostly(_TRAIT_PALETTE, _TRAIT_POOL)
trait_values = st.one_of(
    trait_scalars,
    trait_scalars,
    st.lists(trait_scalars, max_size=3),
    st.lists(st.one_of(trait_scalars, st.lists(trait_scalars, max_size=2)), max_size=3),
    st.fixed_dictionaries({}, optional={"level": trait_scalars, "EU": trait_scalars}),
)
traits = st.fixed_dictionaries(
    {
        "region": trait_values,
        "tags": st.lists(trait_scalars, max_size=4),
        "score": trait_scalars,
    },
    optional={"nested": trait_values},
)
trait_operands = _mostly(_TRAIT_PALETTE, _TRAIT_POOL, lambda v: v is not None and v != "")
trait_numbers = _mostly(
    _TRAIT_PALETTE, _TRAIT_POOL, lambda v: isinstance(v, int | float) and not isinstance(v, bool)
)


@dataclass
class Person:
    spend_365d: Decimal
    lifetime_spend: Decimal
    avg_order_value: Decimal | None
    order_count: int
    score_avg: Decimal | None
    last_order_at: datetime | None
    first_order_at: datetime | None
    event_counts: dict[str, int]
    traits: dict[str, Any]
    tiers: dict[str, str]
    created_at: datetime
    days_since_last_order: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.days_since_last_order = (
            None if self.last_order_at is None else max((TODAY - self.last_order_at.date()).days, 0)
        )

    def view(self) -> dict[str, Any]:
        """The customer as ``app.customers.service.view`` shows it."""
        return {
            "metrics": {
                **{f"{kind}_count": n for kind, n in self.event_counts.items()},
                "spend_365d": format_money(self.spend_365d, "EUR"),
                "lifetime_spend": format_money(self.lifetime_spend, "EUR"),
                "avg_order_value": None
                if self.avg_order_value is None
                else format_money(self.avg_order_value, "EUR"),
                "order_count": self.order_count,
                "score_avg": None if self.score_avg is None else f"{self.score_avg.normalize():f}",
                "last_order_at": self.last_order_at,
                "first_order_at": self.first_order_at,
                "days_since_last_order": self.days_since_last_order,
            },
            "traits": self.traits,
            "tiers": self.tiers,
            "created_at": self.created_at,
        }


people = st.builds(
    Person,
    spend_365d=money,
    lifetime_spend=money,
    avg_order_value=st.none() | money,
    order_count=counts,
    score_avg=st.none() | money,
    last_order_at=st.none() | moments,
    first_order_at=st.none() | moments,
    event_counts=st.dictionaries(st.sampled_from(["visit", "support_ticket"]), counts, max_size=2),
    traits=traits,
    tiers=st.fixed_dictionaries(
        {}, optional={key: st.sampled_from(tiers) for key, tiers in SCHEMES.items()}
    ),
    created_at=moments,
)


def _comparison(field_: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field_, "op": op, "value": value}


@st.composite
def _ordered(draw: st.DrawFn, field_: str, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    op = draw(
        st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "exists"])
    )
    if op == "exists":
        return _comparison(field_, op, draw(st.booleans()))
    if op in ("in", "not_in"):
        return _comparison(field_, op, draw(st.lists(values, min_size=1, max_size=4)))
    if op == "between":
        low, high = draw(values), draw(values)
        return _comparison(field_, op, [low, high])
    return _comparison(field_, op, draw(values))


def _between_sorted(comparison: dict[str, Any], key: Any) -> dict[str, Any]:
    if comparison["op"] == "between":
        comparison["value"] = sorted(comparison["value"], key=key)
    return comparison


def _decimal_of(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


@st.composite
def number_comparisons(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(NUMBER_METRICS + COUNT_METRICS))
    comparison = draw(_ordered(f"metrics.{name}", numbers()))
    return _between_sorted(comparison, _decimal_of)


@st.composite
def timestamp_comparisons(draw: st.DrawFn) -> dict[str, Any]:
    field_ = draw(st.sampled_from(TIMESTAMP_FIELDS))
    if draw(st.booleans()):
        op = draw(st.sampled_from(["within_days", "older_than_days"]))
        return _comparison(field_, op, draw(st.sampled_from(AGES)))
    comparison = draw(_ordered(field_, timestamps()))
    return _between_sorted(comparison, datetime.fromisoformat)


@st.composite
def trait_comparisons(draw: st.DrawFn) -> dict[str, Any]:
    field_ = draw(st.sampled_from(TRAIT_FIELDS))
    op = draw(
        st.sampled_from(
            ["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "between", "exists", "contains"]
        )
    )
    if op == "exists":
        return _comparison(field_, op, draw(st.booleans()))
    if op in ("in", "not_in"):
        return _comparison(field_, op, draw(st.lists(trait_operands, min_size=1, max_size=4)))
    if op in ("gt", "gte", "lt", "lte"):
        return _comparison(field_, op, draw(trait_numbers))
    if op == "between":
        bounds = sorted([draw(trait_numbers), draw(trait_numbers)], key=_decimal_of)
        return _comparison(field_, op, bounds)
    return _comparison(field_, op, draw(trait_operands))


@st.composite
def tier_comparisons(draw: st.DrawFn) -> dict[str, Any]:
    scheme = draw(st.sampled_from(sorted(SCHEMES)))
    tier = st.sampled_from(SCHEMES[scheme])
    op = draw(st.sampled_from(["eq", "ne", "in", "not_in", "exists"]))
    if op == "exists":
        return _comparison(f"tiers.{scheme}", op, draw(st.booleans()))
    if op in ("in", "not_in"):
        return _comparison(f"tiers.{scheme}", op, draw(st.lists(tier, min_size=1, max_size=3)))
    return _comparison(f"tiers.{scheme}", op, draw(tier))


comparisons = st.one_of(
    number_comparisons(), timestamp_comparisons(), trait_comparisons(), tier_comparisons()
)
conditions = st.recursive(
    comparisons,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: {"all": items}),
        st.lists(inner, max_size=4).map(lambda items: {"any": items}),
        inner.map(lambda item: {"not": item}),
    ),
    max_leaves=10,
)
