"""One customer's metrics as they stood at each moment of its past, for rebuilding the tier
and segment history of imported events (``app.classification.reconstruct``).

A ``Timeline`` takes the customer's events in time order and answers the customer's view
(``CustomerView``) at any moment after the last event it took, from the same pieces the
stored roll-ups hold: the lifetime totals, the per-day order and refund sums, and the per-day
and lifetime roll-ups of each user-defined metric's source. It reads them as the database
reads the stored ones (``WINDOW_SUMS_SQL``, ``READ_ROLLUPS_SQL``) and builds the metrics with
the functions every other path uses (``build_metrics``, ``app.metrics.aggregate.evaluate``).
What has no history is taken as it is now: traits, RFM scores, CLV predictions, the
customer's ``created_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.clock import utc_day, window_start
from app.customers.metrics import CLV_METRICS, RFM_METRICS, WINDOWS, Totals, WindowSums
from app.customers.service import CustomerView, view_with
from app.metrics.aggregate import Definition, Rollup, WindowFold, fold
from app.metrics.aggregate import evaluate as evaluate_metrics
from app.metrics.service import NewEvent, contribution


@dataclass(slots=True)
class _Day:
    orders: int = 0
    order_amount: Decimal = Decimal(0)
    refund_amount: Decimal = Decimal(0)


@dataclass(slots=True)
class _Source:
    days: dict[date, Rollup] = field(default_factory=dict)
    lifetime: Rollup = field(default_factory=Rollup)


class Timeline:
    """A customer's facts, replayed event by event from nothing (``row``: its customer row,
    for what has no history). ``reads``: the metrics some rule reads; the others are left
    out, and so are the moments their windows change (``next_review_at``), at which a review
    would change nothing. ``currency``: the workspace's, in which money is shown."""

    def __init__(
        self, row: Any, definitions: list[Definition], reads: frozenset[str], currency: str
    ) -> None:
        self._row = row
        self._currency = currency
        self._definitions = [d for d in definitions if d.name in reads]
        self._ready = [d for d in self._definitions if d.ready]
        self._windows = [w for w in WINDOWS if {f"spend_{w}d", f"orders_{w}d"} & reads]
        self._totals = Totals(
            order_count=0,
            order_total=Decimal(0),
            refund_total=Decimal(0),
            first_order_at=None,
            last_order_at=None,
            last_event_at=None,
            event_counts={},
            rfm_scores={name: getattr(row, name) for name in RFM_METRICS},
            predictions={name: getattr(row, name) for name in CLV_METRICS},
        )
        self._days: dict[date, _Day] = {}
        self._sources: dict[tuple[str, str], _Source] = {d.source: _Source() for d in self._ready}

    def add(self, event: NewEvent) -> None:
        """Folds one more event in, as ``fold_events_sql``, ``add_to_days_sql`` and the
        roll-up upserts fold a stored one."""
        t = self._totals
        amount = event.amount_base or Decimal(0)
        counts = dict(t.event_counts)
        counts[event.event_type] = counts.get(event.event_type, 0) + 1
        is_order = event.event_type == "order"
        at = event.occurred_at
        self._totals = replace(
            t,
            order_count=t.order_count + (1 if is_order else 0),
            order_total=t.order_total + (amount if is_order else 0),
            refund_total=t.refund_total + (amount if event.event_type == "refund" else 0),
            first_order_at=_least(t.first_order_at, at) if is_order else t.first_order_at,
            last_order_at=_greatest(t.last_order_at, at) if is_order else t.last_order_at,
            last_event_at=_greatest(t.last_event_at, at),
            event_counts=counts,
        )
        if event.event_type in ("order", "refund"):
            day = self._days.setdefault(utc_day(at), _Day())
            if is_order:
                day.orders += 1
                day.order_amount += amount
            else:
                day.refund_amount += amount
        for (event_type, prop), source in self._sources.items():
            if event_type != event.event_type:
                continue
            part = contribution(event, prop)
            day_key = utc_day(at)
            held = source.days.get(day_key)
            source.days[day_key] = part if held is None else fold([held, part])
            source.lifetime = fold([source.lifetime, part])

    def view(self, now: datetime) -> CustomerView:
        """The customer as of ``now`` (not before the last event added)."""
        today = utc_day(now)
        return view_with(
            self._row, self._totals, self._window_sums(today), self._user(today), now,
            self._currency,
        )  # fmt: skip

    def _window_sums(self, today: date) -> WindowSums:
        spend: dict[int, Decimal] = {}
        orders: dict[int, int] = {}
        earliest_day: dict[int, date | None] = {}
        for window in WINDOWS:
            start = window_start(today, window)
            inside = [(d, v) for d, v in self._days.items() if d >= start]
            spend[window] = sum((v.order_amount - v.refund_amount for _, v in inside), Decimal(0))
            orders[window] = sum(v.orders for _, v in inside)
            earliest_day[window] = (
                min((d for d, _ in inside), default=None) if window in self._windows else None
            )
        return WindowSums(spend, orders, earliest_day)

    def _user(self, today: date) -> tuple[dict[str, int | str | None], list[str], datetime | None]:
        windowed: dict[str, WindowFold] = {}
        lifetime: dict[tuple[str, str], Rollup] = {}
        for definition in self._ready:
            source = self._sources[definition.source]
            if definition.window_days is None:
                if source.lifetime.events:
                    lifetime[definition.source] = source.lifetime
                continue
            start = window_start(today, definition.window_days)
            inside = [(d, r) for d, r in source.days.items() if d >= start]
            if not inside:
                continue
            windowed[definition.name] = WindowFold(
                fold([r for _, r in inside]),
                min((d for d, r in inside if r.events > 0), default=None),
                min((d for d, r in inside if r.n > 0), default=None),
            )
        return evaluate_metrics(self._definitions, windowed, lifetime, self._currency)


def _least(held: datetime | None, at: datetime) -> datetime:
    return at if held is None or at < held else held


def _greatest(held: datetime | None, at: datetime) -> datetime:
    return at if held is None or at > held else held
