"""Built-in metrics, from a customer's running totals and daily roll-ups.

Windows are whole UTC days: ``spend_30d`` counts the days after ``today - 30``, i.e. today and
the 29 days before (and the few minutes of tomorrow an event may be early by). A day therefore
leaves the N-day window at the midnight that starts day ``d + N``; the earliest such moment is
the customer's ``next_review_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.clock import midnight, utc_day
from app.money import STORED_PLACES, format_decimal, format_money

WINDOWS = (30, 90, 365)
RFM_METRICS = ("rfm_r", "rfm_f", "rfm_m", "rfm_fm")
"""Scores stored on the customer row by ``app.rfm.service.refresh``: they change only there."""
CLV_METRICS = (
    "p_alive",
    "expected_orders_90d",
    "expected_orders_365d",
    "expected_order_value",
    "predicted_clv_365d",
)
"""Predictions of the workspace's CLV model, stored on the customer row by
``app.predictions``."""
CLV_MONEY = frozenset({"expected_order_value", "predicted_clv_365d"})
BUILTIN_METRICS = frozenset(
    {
        "order_count",
        "lifetime_spend",
        "refund_total",
        "avg_order_value",
        "first_order_at",
        "last_order_at",
        "last_event_at",
        "days_since_last_order",
        *(f"spend_{w}d" for w in WINDOWS),
        *(f"orders_{w}d" for w in WINDOWS),
        *RFM_METRICS,
        *CLV_METRICS,
    }
)


@dataclass(frozen=True, slots=True)
class Totals:
    """A customer's lifetime running totals, as stored on the customer row."""

    order_count: int
    order_total: Decimal
    refund_total: Decimal
    first_order_at: datetime | None
    last_order_at: datetime | None
    last_event_at: datetime | None
    event_counts: dict[str, int]
    rfm_scores: dict[str, int | None]
    """``RFM_METRICS`` by name, as of the workspace's last RFM refresh."""
    predictions: dict[str, Decimal | None]
    """``CLV_METRICS`` by name, as the workspace's CLV model last predicted them."""


@dataclass(frozen=True, slots=True)
class WindowSums:
    """Per window: net spend, order count, and the earliest day still inside it."""

    spend: dict[int, Decimal]
    orders: dict[int, int]
    earliest_day: dict[int, date | None]


def next_review_at(sums: WindowSums) -> datetime | None:
    moments = [
        midnight(day + timedelta(days=window))
        for window, day in sums.earliest_day.items()
        if day is not None
    ]
    return min(moments, default=None)


def days_since(moment: datetime | None, today: date) -> int | None:
    """Midnights passed since the moment's UTC date (0 on the same day)."""
    if moment is None:
        return None
    return max((today - utc_day(moment)).days, 0)


def build_metrics(totals: Totals, sums: WindowSums, now: datetime, currency: str) -> dict[str, Any]:
    """The built-in metrics as the profile shows them, money in ``currency``, the
    workspace's base currency."""
    today = utc_day(now)
    average = None
    if totals.order_count:
        average = (totals.order_total / totals.order_count).quantize(
            STORED_PLACES, rounding=ROUND_HALF_EVEN
        )
    metrics: dict[str, Any] = {
        f"{event_type}_count": count for event_type, count in sorted(totals.event_counts.items())
    }
    metrics.update(
        {
            "order_count": totals.order_count,
            "lifetime_spend": format_money(totals.order_total - totals.refund_total, currency),
            "refund_total": format_money(totals.refund_total, currency),
            "avg_order_value": None if average is None else format_money(average, currency),
            "first_order_at": totals.first_order_at,
            "last_order_at": totals.last_order_at,
            "last_event_at": totals.last_event_at,
            "days_since_last_order": days_since(totals.last_order_at, today),
            **totals.rfm_scores,
        }
    )
    for name, value in totals.predictions.items():
        if value is None:
            metrics[name] = None
        else:
            metrics[name] = (
                format_money(value, currency) if name in CLV_MONEY else format_decimal(value)
            )
    for window in WINDOWS:
        metrics[f"spend_{window}d"] = format_money(sums.spend[window], currency)
        metrics[f"orders_{window}d"] = sums.orders[window]
    return metrics
