"""Queries for tier analytics: aggregates over the tier history, the current tiers, the
departures of erased customers and the daily roll-ups. Nothing is loaded row by row."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record

# Each customer's tier in the scheme at :at: the to_tier of its latest change at or before
# :at. An archived scheme's customers lost their tiers when it was archived (the history
# records no change for that), so from then on nobody holds one.
_HELD_AT = """
    SELECT DISTINCT ON (customer_id) customer_id, to_tier AS tier
    FROM tier_history
    WHERE workspace_id = :ws AND scheme_key = :scheme AND changed_at <= :at
      AND (CAST(:archived_at AS timestamptz) IS NULL
           OR CAST(:at AS timestamptz) < CAST(:archived_at AS timestamptz))
    ORDER BY customer_id, changed_at DESC, seq DESC
"""

_CURRENT_COUNTS = text(
    """
    SELECT tier, COUNT(*) AS customers
    FROM customer_tiers
    WHERE workspace_id = :ws AND scheme_key = :scheme
    GROUP BY tier
    """
)

_COUNTS_AT = text(
    f"""
    SELECT held.tier, COUNT(*) AS customers
    FROM ({_HELD_AT}) AS held
    GROUP BY held.tier
    """  # noqa: S608 - the interpolated text is a constant
)

# 'moved' rows are changes between two tiers; 'entered' rows first tiers (from_tier is null);
# 'left' rows the tiers erased customers held when they were erased.
_CHANGES = text(
    """
    SELECT CASE WHEN from_tier IS NULL THEN 'entered' ELSE 'moved' END AS kind,
           from_tier, to_tier AS tier, COUNT(*) AS changes
    FROM tier_history
    WHERE workspace_id = :ws AND scheme_key = :scheme
      AND changed_at >= :start AND changed_at < :end
    GROUP BY from_tier, to_tier
    UNION ALL
    SELECT 'left', NULL, tier, COUNT(*)
    FROM tier_departures
    WHERE workspace_id = :ws AND scheme_key = :scheme
      AND departed_at >= :start AND departed_at < :end
    GROUP BY tier
    """
)

# One row per tier held at :at (the start of the period), and one with a null tier for the
# newcomers: customers who held no tier at :at but got one before :end or ordered in the
# period. Only a customer whose last order is at or after :at can have ordered in the period:
# those are the candidates, kept if their days show an order. Each customer's days are read
# through the roll-ups' primary key, so the cost follows the number of customers involved,
# not the length of their history.
_PERFORMANCE = text(
    f"""
    WITH held AS ({_HELD_AT}),
    newcomers AS (
        SELECT customer_id, bool_or(classified) AS classified
        FROM (
            SELECT customer_id, true AS classified FROM tier_history
            WHERE workspace_id = :ws AND scheme_key = :scheme
              AND changed_at > :at AND changed_at < :end
            UNION ALL
            SELECT customer_id, false FROM customers
            WHERE workspace_id = :ws AND last_order_at >= :at
        ) AS candidate
        WHERE NOT EXISTS (
            SELECT 1 FROM held h WHERE h.customer_id = candidate.customer_id
        )
        GROUP BY customer_id
    ),
    cohort AS (
        SELECT customer_id, tier, true AS classified FROM held
        UNION ALL
        SELECT customer_id, NULL, classified FROM newcomers
    ),
    measured AS (
        SELECT c.tier, c.classified, a.orders, a.order_amount, a.revenue
        FROM cohort c
        CROSS JOIN LATERAL (
            SELECT COALESCE(SUM(d.orders), 0) AS orders,
                   COALESCE(SUM(d.order_amount), 0) AS order_amount,
                   COALESCE(SUM(d.order_amount - d.refund_amount), 0) AS revenue
            FROM customer_days d
            WHERE d.workspace_id = :ws AND d.customer_id = c.customer_id
              AND d.day >= :first_day AND d.day <= :last_day
        ) AS a
    )
    SELECT tier,
           COUNT(*) AS customers,
           CAST(SUM(orders) AS bigint) AS orders,
           SUM(order_amount) AS order_amount,
           SUM(revenue) AS revenue,
           COUNT(*) FILTER (WHERE orders > 0) AS ordering
    FROM measured
    WHERE classified OR orders > 0
    GROUP BY tier
    """  # noqa: S608 - the interpolated text is a constant
)


async def current_counts(conn: AsyncConnection, workspace_id: UUID, scheme: str) -> list[Record]:
    """(tier, customers) from the current tiers."""
    result = await conn.execute(_CURRENT_COUNTS, {"ws": workspace_id, "scheme": scheme})
    return list(result.all())


async def counts_at(
    conn: AsyncConnection,
    workspace_id: UUID,
    scheme: str,
    at: datetime,
    archived_at: datetime | None,
) -> list[Record]:
    """(tier, customers) as the tier history tells it at ``at``."""
    result = await conn.execute(
        _COUNTS_AT,
        {"ws": workspace_id, "scheme": scheme, "at": at, "archived_at": archived_at},
    )
    return list(result.all())


async def changes(
    conn: AsyncConnection, workspace_id: UUID, scheme: str, start: datetime, end: datetime
) -> list[Record]:
    """(kind, from_tier, tier, changes) over ``start`` (inclusive) to ``end`` (exclusive)."""
    result = await conn.execute(
        _CHANGES, {"ws": workspace_id, "scheme": scheme, "start": start, "end": end}
    )
    return list(result.all())


async def performance(
    conn: AsyncConnection,
    workspace_id: UUID,
    scheme: str,
    first_day: date,
    last_day: date,
    start: datetime,
    end: datetime,
    archived_at: datetime | None,
) -> list[Record]:
    """(tier, customers, orders, order_amount, revenue, ordering) per tier held at ``start``
    (midnight of ``first_day``); ``end`` is the midnight after ``last_day``."""
    result = await conn.execute(
        _PERFORMANCE,
        {
            "ws": workspace_id,
            "scheme": scheme,
            "first_day": first_day,
            "last_day": last_day,
            "at": start,
            "end": end,
            "archived_at": archived_at,
        },
    )
    return list(result.all())


# Entries and exits per UTC day in [:start, :end), and the net change since :end: members at
# the end of a period are the members now less the net change after it.
_SEGMENT_CHANGES = text(
    """
    SELECT CAST(changed_at AT TIME ZONE 'UTC' AS date) AS day,
           COUNT(*) FILTER (WHERE change = 'entered') AS entered,
           COUNT(*) FILTER (WHERE change = 'exited') AS exited
    FROM segment_history
    WHERE workspace_id = :ws AND segment_key = :segment
      AND changed_at >= :start AND changed_at < :end
    GROUP BY 1
    """
)

_SEGMENT_NET_SINCE = text(
    """
    SELECT COALESCE(SUM(CASE WHEN change = 'entered' THEN 1 ELSE -1 END), 0)
    FROM segment_history
    WHERE workspace_id = :ws AND segment_key = :segment AND changed_at >= :since
    """
)

_SEGMENT_SIZE = text(
    "SELECT COUNT(*) FROM segment_members WHERE workspace_id = :ws AND segment_key = :segment"
)


async def segment_changes(
    conn: AsyncConnection, workspace_id: UUID, segment: str, start: datetime, end: datetime
) -> list[Record]:
    """(day, entered, exited) for each UTC day with a change in ``[start, end)``."""
    result = await conn.execute(
        _SEGMENT_CHANGES, {"ws": workspace_id, "segment": segment, "start": start, "end": end}
    )
    return list(result.all())


async def segment_net_since(
    conn: AsyncConnection, workspace_id: UUID, segment: str, since: datetime
) -> int:
    """Entries minus exits at or after ``since``."""
    result = await conn.execute(
        _SEGMENT_NET_SINCE, {"ws": workspace_id, "segment": segment, "since": since}
    )
    return int(result.scalar_one())


async def segment_size(conn: AsyncConnection, workspace_id: UUID, segment: str) -> int:
    result = await conn.execute(_SEGMENT_SIZE, {"ws": workspace_id, "segment": segment})
    return int(result.scalar_one())
