"""User-defined metrics, the pure part: reading a numeric value from an event, folding roll-ups,
and turning a folded roll-up into a metric value.

A *source* is one event type and what is aggregated: the event's base-currency amount
(property ``""``) or one property path. Per source, each customer has a roll-up per UTC day and
one for its lifetime: events seen, numeric values seen, their sum, min and max, and the latest
value by (event time, event id). Every piece is commutative, so arrival order does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.clock import midnight
from app.money import STORED_PLACES, format_decimal, format_money

AGGREGATIONS = ("count", "sum", "avg", "min", "max", "last")
AMOUNT = ""


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    event_type: str
    aggregation: str
    prop: str  # "" for the event's amount, else a dotted path under `properties`
    window_days: int | None
    ready: bool

    @property
    def source(self) -> tuple[str, str]:
        return (self.event_type, self.prop)


@dataclass(frozen=True, slots=True)
class Rollup:
    events: int = 0
    n: int = 0
    total: Decimal = Decimal(0)
    low: Decimal | None = None
    high: Decimal | None = None
    last_at: datetime | None = None
    last_event_id: str | None = None
    last_value: Decimal | None = None


def property_value(properties: dict[str, Any], path: str) -> Decimal | None:
    """The number at ``path`` (dotted, under `properties`); None unless it is a JSON number."""
    value: Any = properties
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def fold(rollups: list[Rollup]) -> Rollup:
    lows = [r.low for r in rollups if r.low is not None]
    highs = [r.high for r in rollups if r.high is not None]
    with_last = [r for r in rollups if r.last_at is not None]
    latest = max(with_last, key=lambda r: (r.last_at, r.last_event_id or ""), default=None)
    return Rollup(
        events=sum(r.events for r in rollups),
        n=sum(r.n for r in rollups),
        total=sum((r.total for r in rollups), Decimal(0)),
        low=min(lows, default=None),
        high=max(highs, default=None),
        last_at=None if latest is None else latest.last_at,
        last_event_id=None if latest is None else latest.last_event_id,
        last_value=None if latest is None else latest.last_value,
    )


def metric_value(definition: Definition, folded: Rollup, currency: str) -> int | str | None:
    """The definition's value of ``folded`` as the profile shows it: a count as an integer,
    an aggregation of ``amount`` as money in ``currency`` (the base currency), another as a
    plain decimal."""
    if definition.aggregation == "count":
        return folded.events
    raw: Decimal | None
    if definition.aggregation == "sum":
        raw = folded.total
    elif definition.aggregation == "avg":
        raw = (
            (folded.total / folded.n).quantize(STORED_PLACES, rounding=ROUND_HALF_EVEN)
            if folded.n
            else None
        )
    elif definition.aggregation == "min":
        raw = folded.low
    elif definition.aggregation == "max":
        raw = folded.high
    else:
        raw = folded.last_value
    if raw is None:
        return None
    if definition.prop == AMOUNT:
        return format_money(raw, currency)
    return format_decimal(raw)


@dataclass(frozen=True, slots=True)
class WindowFold:
    """A windowed definition's days, folded, with the earliest day that moves it."""

    rollup: Rollup
    first_event_day: date | None
    first_value_day: date | None

    def first_moving_day(self, definition: Definition) -> date | None:
        # A day without values moves a count, but not an average.
        if definition.aggregation == "count":
            return self.first_event_day
        return self.first_value_day


def evaluate(
    definitions: list[Definition],
    windowed: dict[str, WindowFold],
    lifetime: dict[tuple[str, str], Rollup],
    currency: str,
) -> tuple[dict[str, int | str | None], list[str], datetime | None]:
    """Values of every definition, the names still pending, and the next moment one changes
    (the midnight at which its earliest moving day leaves its window)."""
    values: dict[str, int | str | None] = {}
    pending: list[str] = []
    moments: list[datetime] = []
    for definition in definitions:
        if not definition.ready:
            values[definition.name] = None
            pending.append(definition.name)
            continue
        if definition.window_days is None:
            values[definition.name] = metric_value(
                definition, lifetime.get(definition.source, Rollup()), currency
            )
            continue
        fold_ = windowed.get(definition.name)
        if fold_ is None:
            values[definition.name] = metric_value(definition, Rollup(), currency)
            continue
        values[definition.name] = metric_value(definition, fold_.rollup, currency)
        moving = fold_.first_moving_day(definition)
        if moving is not None:
            moments.append(midnight(moving + timedelta(days=definition.window_days)))
    return values, sorted(pending), min(moments, default=None)
