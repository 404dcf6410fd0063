"""Tier analytics: resolving periods, checking them, and shaping the aggregates the repository
computes into the figures a team reads (shares, net revenue, average order value, retention).

Ratios are computed exactly (``Fraction``) and rounded half-even once, so a share or an average
never depends on the precision of an intermediate division.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.analytics import repository
from app.analytics.schemas import (
    Distribution,
    Interval,
    Performance,
    SegmentFlows,
    SegmentPeriod,
    TierCount,
    TierFlow,
    TierPerformance,
    TierTransitions,
    Transition,
)
from app.clock import midnight, utc_day
from app.db import Record
from app.errors import InvalidInput
from app.money import average_places, format_money
from app.segments import service as segments
from app.tiers import service as tiers
from app.tiers.policy import scheme_from_definition

MAX_PERIOD_DAYS = 3660
DEFAULT_TRANSITIONS_PERIOD = timedelta(days=30)
DEFAULT_PERFORMANCE_DAYS = 30
DEFAULT_FLOW_MONTHS = 12
SHARE_PLACES = 4


def rounded(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half-even to ``places`` decimals, exactly."""
    units = round(value * 10**places)
    return Decimal(f"{units}E-{places}")


def share(part: int, whole: int) -> str:
    """``part / whole`` with 4 places, rounded half-even; ``"0.0000"`` when ``whole`` is 0."""
    if whole == 0:
        return str(rounded(Fraction(0), SHARE_PLACES))
    return str(rounded(Fraction(part, whole), SHARE_PLACES))


def average(amount: Decimal, count: int, currency: str) -> str | None:
    """``amount / count`` in ``currency`` rounded half-even to cents (``average_places``),
    shown as money; None when ``count`` is 0."""
    if count == 0:
        return None
    places = average_places(currency)
    return format_money(rounded(Fraction(amount) / count, places), currency)


def in_scheme_order(scheme_tiers: list[str], held: Iterable[str]) -> list[str]:
    """The scheme's tiers in its order, then any other tier someone holds, by key."""
    return scheme_tiers + sorted(set(held) - set(scheme_tiers))


async def _scheme(conn: AsyncConnection, workspace_id: UUID, key: str) -> tuple[Record, list[str]]:
    """The scheme (archived or not) and its current version's tier keys, highest first."""
    row = await tiers.get(conn, workspace_id, key)
    return row, scheme_from_definition(row.key, row.version, row.definition).tier_keys


async def distribution(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    as_of: datetime | None,
    now: datetime,
) -> Distribution:
    """How many customers hold each tier now (the current tiers) or at ``as_of`` (the tier
    history)."""
    row, tier_keys = await _scheme(conn, workspace_id, key)
    if as_of is None:
        rows = await repository.current_counts(conn, workspace_id, key)
    else:
        rows = await repository.counts_at(conn, workspace_id, key, as_of, row.archived_at)
    counts: Mapping[str, int] = {r.tier: int(r.customers) for r in rows}
    total = sum(counts.values())
    return Distribution(
        scheme=key,
        as_of=(as_of or now).astimezone(UTC),
        total=total,
        tiers=[
            TierCount(tier=tier, count=counts.get(tier, 0), share=share(counts.get(tier, 0), total))
            for tier in in_scheme_order(tier_keys, counts)
        ],
    )


def _check_order(first: date | datetime, last: date | datetime) -> None:
    if first > last:
        raise InvalidInput.at("from", "must not be after `to`", "period_reversed")


def _too_long() -> InvalidInput:
    return InvalidInput.at(
        "from", f"the period must not be longer than {MAX_PERIOD_DAYS} days", "period_too_long"
    )


def transitions_period(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """``[start, end)``: ``end`` defaults to now, ``start`` to 30 days before ``end``."""
    end = (end or now).astimezone(UTC)
    start = (start or end - DEFAULT_TRANSITIONS_PERIOD).astimezone(UTC)
    _check_order(start, end)
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise _too_long()
    return start, end


async def transitions(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> TierTransitions:
    """Tier changes in ``[start, end)``, first tiers given, and customers erased."""
    start, end = transitions_period(start, end, now)
    await _scheme(conn, workspace_id, key)
    rows = await repository.changes(conn, workspace_id, key, start, end)
    moved = sorted((r.from_tier, r.tier, int(r.changes)) for r in rows if r.kind == "moved")
    entered = sorted((r.tier, int(r.changes)) for r in rows if r.kind == "entered")
    left = sorted((r.tier, int(r.changes)) for r in rows if r.kind == "left")
    return TierTransitions(
        scheme=key,
        from_=start,
        to=end,
        transitions=[Transition(from_=f, to=t, count=n) for f, t, n in moved],
        entered=[TierFlow(tier=tier, count=n) for tier, n in entered],
        left=[TierFlow(tier=tier, count=n) for tier, n in left],
    )


def performance_period(first: date | None, last: date | None, now: datetime) -> tuple[date, date]:
    """Whole UTC days, both inclusive: ``last`` defaults to today, ``first`` to 29 days
    before ``last`` (30 days in all)."""
    last = last or utc_day(now)
    first = first or last - timedelta(days=DEFAULT_PERFORMANCE_DAYS - 1)
    _check_order(first, last)
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise _too_long()
    return first, last


def _tier_performance(tier: str | None, row: Record | None, currency: str) -> TierPerformance:
    if row is None:
        return TierPerformance(
            tier=tier,
            customers=0,
            revenue=format_money(Decimal(0), currency),
            orders=0,
            average_order_value=None,
            retention=None,
        )
    customers = int(row.customers)
    return TierPerformance(
        tier=tier,
        customers=customers,
        revenue=format_money(row.revenue, currency),
        orders=int(row.orders),
        average_order_value=average(row.order_amount, int(row.orders), currency),
        retention=share(int(row.ordering), customers),
    )


async def performance(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    first: date | None,
    last: date | None,
    now: datetime,
    currency: str,
) -> Performance:
    """Per tier held at the start of the period (and for the newcomers): customers, net
    revenue, orders, average order value and retention over the period."""
    first, last = performance_period(first, last, now)
    row, tier_keys = await _scheme(conn, workspace_id, key)
    rows = await repository.performance(
        conn,
        workspace_id,
        key,
        first,
        last,
        midnight(first),
        midnight(last + timedelta(days=1)),
        row.archived_at,
    )
    by_tier = {r.tier: r for r in rows}
    held = [tier for tier in by_tier if tier is not None]
    return Performance(
        scheme=key,
        from_=first,
        to=last,
        currency=currency,
        tiers=[
            _tier_performance(tier, by_tier.get(tier), currency)
            for tier in [*in_scheme_order(tier_keys, held), None]
        ],
    )


def _period_start(day: date, interval: Interval) -> date:
    """The first day of the day, ISO week or calendar month holding ``day``."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_start(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def flows_period(first: date | None, last: date | None, now: datetime) -> tuple[date, date]:
    """Whole UTC days, both inclusive: ``last`` defaults to today, ``first`` to the first day
    of the month eleven months before ``last``'s (twelve calendar months in all)."""
    last = last or utc_day(now)
    if first is None:
        months = last.year * 12 + last.month - 1 - (DEFAULT_FLOW_MONTHS - 1)
        first = date(months // 12, months % 12 + 1, 1)
    _check_order(first, last)
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise _too_long()
    return first, last


async def segment_flows(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    first: date | None,
    last: date | None,
    interval: Interval,
    now: datetime,
) -> SegmentFlows:
    """Entries and exits of a saved segment per day, week or month, with its size at the end
    of each, from the segment history."""
    first, last = flows_period(first, last, now)
    await segments.get(conn, workspace_id, key)
    end = midnight(last + timedelta(days=1))
    days = await repository.segment_changes(conn, workspace_id, key, midnight(first), end)
    size = await repository.segment_size(conn, workspace_id, key)
    members = size - await repository.segment_net_since(conn, workspace_id, key, end)
    bounds: list[tuple[date, date]] = []
    start = first
    while start <= last:
        following = _next_start(_period_start(start, interval), interval)
        bounds.append((start, min(following - timedelta(days=1), last)))
        start = following
    periods: list[SegmentPeriod] = []
    for start, stop in reversed(bounds):
        inside = [r for r in days if start <= r.day <= stop]
        entered = sum(int(r.entered) for r in inside)
        exited = sum(int(r.exited) for r in inside)
        periods.append(
            SegmentPeriod(start=start, end=stop, entered=entered, exited=exited, size=members)
        )
        members -= entered - exited
    return SegmentFlows(
        segment=key,
        from_=first,
        to=last,
        interval=interval,
        size=size,
        periods=periods[::-1],
    )
