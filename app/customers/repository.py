"""Queries for customers and their daily roll-ups."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import utc_day, window_start
from app.customers.metrics import WINDOWS, WindowSums
from app.db import Record

_CUSTOMER_COLUMNS = """
        workspace_id, customer_id, traits, order_count, order_total, refund_total,
        first_order_at, last_order_at, last_event_at, event_counts, created_at, updated_at
"""
EVENT_ROW_COLUMNS = """
        customer_id text, type text, occurred_at timestamptz, traits_set jsonb,
        traits_unset text[], orders integer, order_amount numeric, refund_amount numeric,
        order_at timestamptz, day date
"""
"""What ``fold_events_sql`` and ``add_to_days_sql`` read of each row of their source: one
event's contribution (``event_row``), as ``json_to_recordset`` declares them."""


ADD_TOTALS = """order_count = c.order_count + EXCLUDED.order_count,
        order_total = c.order_total + EXCLUDED.order_total,
        refund_total = c.refund_total + EXCLUDED.refund_total,
        first_order_at = LEAST(c.first_order_at, EXCLUDED.first_order_at),
        last_order_at = GREATEST(c.last_order_at, EXCLUDED.last_order_at),
        last_event_at = GREATEST(c.last_event_at, EXCLUDED.last_event_at)"""
"""How an upsert into ``customers AS c`` adds the lifetime totals of its new rows."""


def fold_events_sql(source: str, *, unset: bool) -> str:
    """Creates the customers or folds one event each into their lifetime totals, locking them
    in id order (byte order, as every writer locks them), returning their ids. ``source`` is a
    relation of ``EVENT_ROW_COLUMNS``, at most one row per customer (``app.events.flush``);
    with ``unset``, the trait names some rows remove are looked up per customer in ``:unset``,
    a JSON object of arrays by customer id (their ``traits_unset``), an extra cost only flushes
    that remove a trait pay. (Not in ``source`` itself: Citus refuses a function that is not
    immutable, such as the ``json_to_recordset`` that reads it, in ``DO UPDATE SET``.)"""
    removed = (
        " - ARRAY(SELECT jsonb_array_elements_text(CAST(:unset AS jsonb) -> EXCLUDED.customer_id))"
        if unset
        else ""
    )
    return f"""
    INSERT INTO customers AS c ({_CUSTOMER_COLUMNS})
    SELECT CAST(:ws AS uuid), e.customer_id, e.traits_set, e.orders, e.order_amount,
           e.refund_amount, e.order_at, e.order_at, e.occurred_at,
           jsonb_build_object(e.type, 1), CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM {source} AS e
    ORDER BY e.customer_id COLLATE "C"
    ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        traits = (c.traits || EXCLUDED.traits){removed},
        {ADD_TOTALS},
        event_counts = c.event_counts || (
            SELECT jsonb_object_agg(added, COALESCE((c.event_counts ->> added)::integer, 0) + 1)
            FROM jsonb_object_keys(EXCLUDED.event_counts) AS added
        ),
        updated_at = EXCLUDED.updated_at
    RETURNING c.customer_id
    """  # noqa: S608 - built from constants only


def add_to_days_sql(source: str) -> str:
    """Adds the orders and refunds of ``source`` (as in ``fold_events_sql``; rows without a
    ``day`` are other events) to their customers' day roll-ups, in customer order."""
    return f"""
    INSERT INTO customer_days AS d
        (workspace_id, customer_id, day, orders, order_amount, refund_amount)
    SELECT CAST(:ws AS uuid), e.customer_id, e.day, e.orders, e.order_amount, e.refund_amount
    FROM {source} AS e
    WHERE e.day IS NOT NULL
    ORDER BY e.customer_id COLLATE "C"
    ON CONFLICT (workspace_id, customer_id, day) DO UPDATE SET
        orders = d.orders + EXCLUDED.orders,
        order_amount = d.order_amount + EXCLUDED.order_amount,
        refund_amount = d.refund_amount + EXCLUDED.refund_amount
    """  # noqa: S608 - built from constants only


def event_row(
    customer_id: str,
    event_type: str,
    occurred_at: datetime,
    amount: Decimal,
    traits: dict[str, Any] | None,
) -> dict[str, Any]:
    """One event's contribution to its customer, a row of ``EVENT_ROW_COLUMNS``: ``amount``
    (in the base currency) counts for an order or a refund."""
    traits = traits or {}
    is_order = event_type == "order"
    is_purchase = is_order or event_type == "refund"
    return {
        "customer_id": customer_id,
        "type": event_type,
        "occurred_at": occurred_at,
        "traits_set": {key: value for key, value in traits.items() if value is not None},
        "traits_unset": [key for key, value in traits.items() if value is None],
        "orders": 1 if is_order else 0,
        "order_amount": amount if is_order else 0,
        "refund_amount": amount if event_type == "refund" else 0,
        "order_at": occurred_at if is_order else None,
        "day": utc_day(occurred_at) if is_purchase else None,
    }


def _window_columns() -> str:
    columns = []
    for window in WINDOWS:
        inside = f"day >= :start_{window}"
        columns += [
            f"COALESCE(SUM(order_amount - refund_amount) FILTER (WHERE {inside}), 0) "
            f"AS spend_{window}",
            f"COALESCE(SUM(orders) FILTER (WHERE {inside}), 0) AS orders_{window}",
            f"MIN(day) FILTER (WHERE {inside}) AS earliest_{window}",
        ]
    return ",\n        ".join(columns)


# Reads at most the longest window's days: the cost does not grow with the history.
def window_sums_sql(customer: str = ":customer_id") -> str:
    """The window sums of one customer: ``customer`` is a parameter, or a column of an outer
    query (as a lateral subquery: ``app.events.flush``)."""
    return f"""
    SELECT
        {_window_columns()}
    FROM customer_days
    WHERE workspace_id = :workspace_id AND customer_id = {customer}
      AND day >= :start_{max(WINDOWS)}
"""  # noqa: S608 - the interpolated text is built from constants only


WINDOW_SUMS_SQL = window_sums_sql()
_WINDOW_SUMS = text(WINDOW_SUMS_SQL)


def _traits_change(traits: dict[str, Any] | None) -> tuple[str, list[str]]:
    """A merge patch as (keys to set, as JSON; keys to remove)."""
    traits = traits or {}
    to_set = {key: value for key, value in traits.items() if value is not None}
    to_unset = [key for key, value in traits.items() if value is None]
    return json.dumps(to_set), to_unset


async def window_sums(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, today: date
) -> WindowSums:
    params = {"workspace_id": workspace_id, "customer_id": customer_id, **window_starts(today)}
    row = (await conn.execute(_WINDOW_SUMS, params)).one()
    return sums_of(row._mapping)


def window_starts(today: date) -> dict[str, date]:
    """The ``:start_<days>`` parameters of ``WINDOW_SUMS_SQL``."""
    return {f"start_{w}": window_start(today, w) for w in WINDOWS}


def sums_of(row: Mapping[Any, Any]) -> WindowSums:
    """The window sums of a row of ``WINDOW_SUMS_SQL``."""
    return WindowSums(
        spend={w: row[f"spend_{w}"] for w in WINDOWS},
        orders={w: int(row[f"orders_{w}"]) for w in WINDOWS},
        earliest_day={w: row[f"earliest_{w}"] for w in WINDOWS},
    )


async def get(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, *, lock: bool = False
) -> Record | None:
    """The customer's row; with ``lock``, locked until the transaction ends, as every writer
    of its tiers holds it."""
    statement = "SELECT * FROM customers WHERE workspace_id = :ws AND customer_id = :cid"
    result = await conn.execute(
        text(statement + (" FOR UPDATE" if lock else "")),
        {"ws": workspace_id, "cid": customer_id},
    )
    return result.first()


async def replace_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        text(
            """
            INSERT INTO customers (workspace_id, customer_id, traits, created_at, updated_at)
            VALUES (:ws, :cid, CAST(:traits AS jsonb), :now, :now)
            ON CONFLICT (workspace_id, customer_id) DO UPDATE
            SET traits = EXCLUDED.traits, updated_at = EXCLUDED.updated_at
            """
        ),
        {"ws": workspace_id, "cid": customer_id, "traits": json.dumps(traits), "now": now},
    )


async def merge_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
) -> None:
    traits_set, traits_unset = _traits_change(traits)
    await conn.execute(
        text(
            """
            INSERT INTO customers AS c (workspace_id, customer_id, traits, created_at, updated_at)
            VALUES (:ws, :cid, CAST(:traits_set AS jsonb), :now, :now)
            ON CONFLICT (workspace_id, customer_id) DO UPDATE
            SET traits = (c.traits || CAST(:traits_set AS jsonb)) - CAST(:traits_unset AS text[]),
                updated_at = EXCLUDED.updated_at
            """
        ),
        {
            "ws": workspace_id,
            "cid": customer_id,
            "traits_set": traits_set,
            "traits_unset": traits_unset,
            "now": now,
        },
    )


async def lock_chunk(
    conn: AsyncConnection, workspace_id: UUID, after: str | None, limit: int
) -> list[str]:
    """Locks the next ``limit`` customers after ``after`` in id order (for jobs that walk
    every customer in chunks); returns their ids."""
    result = await conn.execute(
        text(
            "SELECT customer_id FROM customers WHERE workspace_id = :ws "
            "AND customer_id > :after ORDER BY customer_id LIMIT :n FOR UPDATE"
        ),
        {"ws": workspace_id, "after": after or "", "n": limit},
    )
    return list(result.scalars())


async def count(conn: AsyncConnection, workspace_id: UUID) -> int:
    result = await conn.execute(
        text("SELECT count(*) FROM customers WHERE workspace_id = :ws"), {"ws": workspace_id}
    )
    return int(result.scalar_one())


async def erase(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime
) -> dict[str, int]:
    """Deletes every row about the customer; the customer row first, so its lock is held.

    The tiers it held are kept without its id, so analytics still count it as having left."""
    params = {"ws": workspace_id, "cid": customer_id, "now": now}
    counts: dict[str, int] = {}
    for kind, table in (
        ("customers", "customers"),
        ("events", "events"),
        ("daily_rollups", "customer_days"),
        ("metric_daily_rollups", "customer_source_days"),
        ("metric_lifetime_rollups", "customer_source_totals"),
        ("tiers", "customer_tiers"),
        ("tier_history", "tier_history"),
        ("segment_memberships", "segment_members"),
        ("segment_history", "segment_history"),
    ):
        if table == "customer_tiers" and counts["customers"]:
            await conn.execute(
                text(
                    "INSERT INTO tier_departures (workspace_id, scheme_key, tier, departed_at) "
                    "SELECT workspace_id, scheme_key, tier, :now FROM customer_tiers "
                    "WHERE workspace_id = :ws AND customer_id = :cid"
                ),
                params,
            )
        result = await conn.execute(
            text(f"DELETE FROM {table} WHERE workspace_id = :ws AND customer_id = :cid"),  # noqa: S608
            {"ws": workspace_id, "cid": customer_id},
        )
        counts[kind] = int(getattr(result, "rowcount", 0))
    return counts


def _earliest_review_day() -> str:
    """The first day at which a window loses its earliest day, as in ``metrics.next_review_at``."""
    moments = ",\n                ".join(
        f"MIN(d.day) FILTER (WHERE d.day >= CAST(:start_{w} AS date)) + {w}" for w in WINDOWS
    )
    return f"LEAST(\n                {moments}\n            )"


# Reads at most the longest window's days per customer, like the normal path: a subquery per
# customer, so its days are found through the index however large the table has grown since
# it was last analysed (a join was planned as a scan of every customer's days).
_WINDOW_REVIEWS = text(
    f"""
    SELECT
        t.customer_id,
        (
            SELECT CAST({_earliest_review_day()} AS timestamp) AT TIME ZONE 'UTC'
            FROM customer_days AS d
            WHERE d.workspace_id = :workspace_id AND d.customer_id = t.customer_id
              AND d.day >= CAST(:start_{max(WINDOWS)} AS date)
        ) AS review_at
    FROM unnest(CAST(:customer_ids AS text[])) AS t(customer_id)
    """  # noqa: S608 - the interpolated text is built from constants only
)


async def window_reviews(
    conn: AsyncConnection, workspace_id: UUID, customer_ids: list[str], today: date
) -> dict[str, datetime | None]:
    """The next midnight at which a built-in window of each customer loses a day, as of
    ``today``, from the daily roll-ups."""
    params = {"workspace_id": workspace_id, "customer_ids": customer_ids, **window_starts(today)}
    result = await conn.execute(_WINDOW_REVIEWS, params)
    return {row.customer_id: row.review_at for row in result}


_SET_NEXT_REVIEWS = text(
    """
    UPDATE customers AS c
    SET next_review_at = CASE WHEN :only_earlier THEN LEAST(c.next_review_at, r.at) ELSE r.at END
    FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS r(customer_id, at)
    WHERE c.workspace_id = :ws AND c.customer_id = r.customer_id
      AND c.next_review_at IS DISTINCT FROM
          CASE WHEN :only_earlier THEN LEAST(c.next_review_at, r.at) ELSE r.at END
    """
)


async def set_next_reviews(
    conn: AsyncConnection,
    workspace_id: UUID,
    moments: Mapping[str, datetime | None],
    *,
    only_earlier: bool,
) -> None:
    """Stores each customer's ``next_review_at`` (or, ``only_earlier``, the earlier of it
    and the stored one), writing only the rows whose value changes."""
    if not moments:
        return
    ids = sorted(moments)
    await conn.execute(
        _SET_NEXT_REVIEWS,
        {
            "ws": workspace_id,
            "ids": ids,
            "ats": [moments[i] for i in ids],
            "only_earlier": only_earlier,
        },
    )


async def rows_of(conn: AsyncConnection, workspace_id: UUID, ids: list[str]) -> list[Record]:
    """The customers' rows, in id order (byte order)."""
    result = await conn.execute(
        text(
            "SELECT * FROM customers WHERE workspace_id = :ws "
            'AND customer_id = ANY(CAST(:ids AS text[])) ORDER BY customer_id COLLATE "C"'
        ),
        {"ws": workspace_id, "ids": ids},
    )
    return list(result.all())


async def past_events(
    conn: AsyncConnection, workspace_id: UUID, ids: list[str], *, properties: bool
) -> list[Record]:
    """Every stored event of the customers, by customer, then in time order (then in the
    order they were stored); ``properties`` only when asked for (a user-defined metric
    reads them)."""
    result = await conn.execute(
        text(
            "SELECT customer_id, type, event_id, occurred_at, amount_base, "
            "CASE WHEN :properties THEN properties END AS properties "
            "FROM events WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[])) "
            'ORDER BY customer_id COLLATE "C", occurred_at, seq'
        ),
        {"ws": workspace_id, "ids": ids, "properties": properties},
    )
    return list(result.all())
