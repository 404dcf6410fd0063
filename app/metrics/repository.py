"""Queries for user-defined metrics: sources, definitions and their roll-ups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.repository import config_changed
from app.db import Record
from app.metrics.aggregate import Definition, Rollup, WindowFold

_DEFINITIONS = text(
    """
    SELECT d.*, s.ready, s.job_id
    FROM metric_definitions d
    JOIN metric_sources s USING (workspace_id, event_type, property)
    WHERE d.workspace_id = :ws
    ORDER BY d.name
    """
)


async def definition_rows(conn: AsyncConnection, workspace_id: UUID) -> list[Record]:
    return list((await conn.execute(_DEFINITIONS, {"ws": workspace_id})).all())


async def definition_page(
    conn: AsyncConnection, workspace_id: UUID, after: str | None, limit: int
) -> list[Record]:
    result = await conn.execute(
        text(
            """
            SELECT d.*, s.ready, s.job_id
            FROM metric_definitions d
            JOIN metric_sources s USING (workspace_id, event_type, property)
            WHERE d.workspace_id = :ws AND d.name > :after
            ORDER BY d.name
            LIMIT :limit
            """
        ),
        {"ws": workspace_id, "after": after or "", "limit": limit + 1},
    )
    return list(result.all())


async def definitions(conn: AsyncConnection, workspace_id: UUID) -> list[Definition]:
    return [
        Definition(
            name=row.name,
            event_type=row.event_type,
            aggregation=row.aggregation,
            prop=row.property,
            window_days=row.window_days,
            ready=row.ready,
        )
        for row in await definition_rows(conn, workspace_id)
    ]


async def get_definition(conn: AsyncConnection, workspace_id: UUID, name: str) -> Record | None:
    result = await conn.execute(
        text(
            """
            SELECT d.*, s.ready, s.job_id
            FROM metric_definitions d
            JOIN metric_sources s USING (workspace_id, event_type, property)
            WHERE d.workspace_id = :ws AND d.name = :name
            """
        ),
        {"ws": workspace_id, "name": name},
    )
    return result.first()


async def source(
    conn: AsyncConnection, workspace_id: UUID, event_type: str, prop: str
) -> Record | None:
    result = await conn.execute(
        text(
            "SELECT * FROM metric_sources "
            "WHERE workspace_id = :ws AND event_type = :type AND property = :prop"
        ),
        {"ws": workspace_id, "type": event_type, "prop": prop},
    )
    return result.first()


async def save_source(
    conn: AsyncConnection, workspace_id: UUID, event_type: str, prop: str, job_id: UUID
) -> None:
    """A source waiting for the given backfill job."""
    await conn.execute(
        text(
            "INSERT INTO metric_sources (workspace_id, event_type, property, ready, job_id) "
            "VALUES (:ws, :type, :prop, false, :job) "
            "ON CONFLICT (workspace_id, event_type, property) DO UPDATE "
            "SET ready = false, job_id = EXCLUDED.job_id"
        ),
        {"ws": workspace_id, "type": event_type, "prop": prop, "job": job_id},
    )
    await config_changed(conn, workspace_id)


async def mark_source_ready(
    conn: AsyncConnection, workspace_id: UUID, event_type: str, prop: str, job_id: UUID
) -> None:
    await conn.execute(
        text(
            "UPDATE metric_sources SET ready = true "
            "WHERE workspace_id = :ws AND event_type = :type AND property = :prop "
            "AND job_id = :job"
        ),
        {"ws": workspace_id, "type": event_type, "prop": prop, "job": job_id},
    )
    await config_changed(conn, workspace_id)


async def upsert_definition(
    conn: AsyncConnection, workspace_id: UUID, definition: Definition, now: datetime
) -> bool:
    """Returns True when the definition is new."""
    result = await conn.execute(
        text(
            """
            INSERT INTO metric_definitions AS d (
                workspace_id, name, event_type, aggregation, property, window_days,
                created_at, updated_at
            ) VALUES (:ws, :name, :type, :aggregation, :prop, :window, :now, :now)
            ON CONFLICT (workspace_id, name) DO UPDATE SET
                event_type = EXCLUDED.event_type, aggregation = EXCLUDED.aggregation,
                property = EXCLUDED.property, window_days = EXCLUDED.window_days,
                updated_at = EXCLUDED.updated_at
            RETURNING (xmax = 0) AS created
            """
        ),
        {
            "ws": workspace_id,
            "name": definition.name,
            "type": definition.event_type,
            "aggregation": definition.aggregation,
            "prop": definition.prop,
            "window": definition.window_days,
            "now": now,
        },
    )
    await config_changed(conn, workspace_id)
    return bool(result.scalar_one())


async def delete_definition(conn: AsyncConnection, workspace_id: UUID, name: str) -> bool:
    result = await conn.execute(
        text(
            "DELETE FROM metric_definitions WHERE workspace_id = :ws AND name = :name RETURNING 1"
        ),
        {"ws": workspace_id, "name": name},
    )
    await config_changed(conn, workspace_id)
    return result.first() is not None


async def drop_unused_sources(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Sources no definition uses any more go, with their roll-ups."""
    unused = (
        await conn.execute(
            text(
                """
                DELETE FROM metric_sources s
                WHERE s.workspace_id = :ws AND NOT EXISTS (
                    SELECT 1 FROM metric_definitions d
                    WHERE d.workspace_id = s.workspace_id
                      AND d.event_type = s.event_type AND d.property = s.property)
                RETURNING event_type, property
                """
            ),
            {"ws": workspace_id},
        )
    ).all()
    for row in unused:
        for table in ("customer_source_days", "customer_source_totals"):
            await conn.execute(
                text(
                    f"DELETE FROM {table} WHERE workspace_id = :ws "  # noqa: S608
                    "AND event_type = :type AND property = :prop"
                ),
                {"ws": workspace_id, "type": row.event_type, "prop": row.property},
            )


_ROLLUP_COLUMNS = "events, n, total, low, high, last_at, last_event_id, last_value"

_LATEST = 'ORDER BY {t}last_at DESC, {t}last_event_id COLLATE "C" DESC'

# Per windowed definition: its days folded in SQL (one row per definition, not per day), and
# the earliest day that moves it; then the lifetime roll-ups of the lifetime definitions.
READ_ROLLUPS_COLUMNS = (
    "name",
    "event_type",
    "property",
    "events",
    "n",
    "total",
    "low",
    "high",
    "last_at",
    "last_event_id",
    "last_value",
    "first_event_day",
    "first_value_day",
)


def read_rollups_sql(customer: str = ":cid") -> str:
    """One customer's roll-ups: ``customer`` is a parameter, or a column of an outer query (as
    a correlated subquery: ``app.events.flush``)."""
    return f"""
    SELECT w.name, NULL AS event_type, NULL AS property,
        SUM(d.events) AS events, SUM(d.n) AS n, SUM(d.total) AS total,
        MIN(d.low) AS low, MAX(d.high) AS high,
        (array_agg(d.last_at {_LATEST.format(t="d.")})
            FILTER (WHERE d.last_at IS NOT NULL))[1] AS last_at,
        (array_agg(d.last_event_id {_LATEST.format(t="d.")})
            FILTER (WHERE d.last_at IS NOT NULL))[1] AS last_event_id,
        (array_agg(d.last_value {_LATEST.format(t="d.")})
            FILTER (WHERE d.last_at IS NOT NULL))[1] AS last_value,
        MIN(d.day) FILTER (WHERE d.events > 0) AS first_event_day,
        MIN(d.day) FILTER (WHERE d.n > 0) AS first_value_day
    FROM json_to_recordset(CAST(:windows AS json)) AS w(
        name text, event_type text, property text, since date
    )
    JOIN customer_source_days AS d
      ON d.workspace_id = :ws AND d.customer_id = {customer}
     AND d.event_type = w.event_type AND d.property = w.property AND d.day >= w.since
    GROUP BY w.name
    UNION ALL
    SELECT NULL, event_type, property, {_ROLLUP_COLUMNS}, NULL, NULL
    FROM customer_source_totals
    WHERE workspace_id = :ws AND customer_id = {customer}
      AND (event_type, property) IN (
          SELECT * FROM unnest(CAST(:life_types AS text[]), CAST(:life_props AS text[])))
"""  # noqa: S608 - built from constants only


READ_ROLLUPS_SQL = read_rollups_sql()
_READ = text(READ_ROLLUPS_SQL)


async def rollups(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    *,
    windows: list[dict[str, Any]],
    lifetime_sources: set[tuple[str, str]],
) -> tuple[dict[str, WindowFold], dict[tuple[str, str], Rollup]]:
    """Each window (``name``, ``event_type``, ``property``, ``since``) folded, and the
    lifetime roll-ups of the given sources."""
    result = await conn.execute(
        _READ,
        {"ws": workspace_id, "cid": customer_id, **read_rollup_values(windows, lifetime_sources)},
    )
    return rollups_of(row._mapping for row in result)


def read_rollup_values(
    windows: list[dict[str, Any]], lifetime_sources: set[tuple[str, str]]
) -> dict[str, Any]:
    """The parameters of ``READ_ROLLUPS_SQL`` but the workspace and customer."""
    return {
        "windows": json.dumps(windows, default=str),
        "life_types": [t for t, _ in lifetime_sources],
        "life_props": [p for _, p in lifetime_sources],
    }


def rollups_of(
    rows: Iterable[Mapping[Any, Any]],
) -> tuple[dict[str, WindowFold], dict[tuple[str, str], Rollup]]:
    """The windows folded and the lifetime roll-ups, from the rows of ``READ_ROLLUPS_SQL``."""
    windowed: dict[str, WindowFold] = {}
    lifetime: dict[tuple[str, str], Rollup] = {}
    for row in rows:
        rollup = Rollup(
            events=int(row["events"]),
            n=int(row["n"]),
            total=row["total"],
            low=row["low"],
            high=row["high"],
            last_at=row["last_at"],
            last_event_id=row["last_event_id"],
            last_value=row["last_value"],
        )
        if row["name"] is None:
            lifetime[(row["event_type"], row["property"])] = rollup
        else:
            windowed[row["name"]] = WindowFold(
                rollup, row["first_event_day"], row["first_value_day"]
            )
    return windowed, lifetime


def _value_sql(prop: str) -> str:
    if prop == "":
        return "amount_base"
    return (
        "CASE WHEN jsonb_typeof(properties #> CAST(:path AS text[])) = 'number' "
        "THEN CAST(properties #>> CAST(:path AS text[]) AS numeric) END"
    )


def _recompute_sql(prop: str, table: str, day: bool) -> str:
    day_column = "day, " if day else ""
    day_expr = "CAST(occurred_at AT TIME ZONE 'UTC' AS date) AS day, " if day else ""
    group = "customer_id, day" if day else "customer_id"
    latest = 'ORDER BY occurred_at DESC, event_id COLLATE "C" DESC'
    return f"""
    INSERT INTO {table} (
        workspace_id, customer_id, event_type, property, {day_column}{_ROLLUP_COLUMNS}
    )
    SELECT :ws, customer_id, :type, :prop, {day_column}
        count(*), count(v), COALESCE(sum(v), 0), min(v), max(v),
        (array_agg(occurred_at {latest}) FILTER (WHERE v IS NOT NULL))[1],
        (array_agg(event_id {latest}) FILTER (WHERE v IS NOT NULL))[1],
        (array_agg(v {latest}) FILTER (WHERE v IS NOT NULL))[1]
    FROM (
        SELECT customer_id, {day_expr}occurred_at, event_id, {_value_sql(prop)} AS v
        FROM events
        WHERE workspace_id = :ws AND type = :type AND customer_id = ANY(:ids)
    ) AS e
    GROUP BY {group}
    """  # noqa: S608 - built from constants only


async def recompute_source(
    conn: AsyncConnection,
    workspace_id: UUID,
    event_type: str,
    prop: str,
    customer_ids: list[str],
) -> None:
    """Rebuilds one source's roll-ups for some customers from their stored events."""
    params: dict[str, Any] = {
        "ws": workspace_id,
        "type": event_type,
        "prop": prop,
        "ids": customer_ids,
    }
    if prop:
        params["path"] = prop.split(".")
    for table in ("customer_source_days", "customer_source_totals"):
        await conn.execute(
            text(
                f"DELETE FROM {table} WHERE workspace_id = :ws AND event_type = :type "  # noqa: S608
                "AND property = :prop AND customer_id = ANY(:ids)"
            ),
            {k: params[k] for k in ("ws", "type", "prop", "ids")},
        )
        await conn.execute(text(_recompute_sql(prop, table, table.endswith("days"))), params)


def bulk_rollup_upsert(
    table: str, *, day: bool, rows: str = ":rows", customers: str | None = None
) -> str:
    """Many customers' pre-folded contributions (the JSON parameter ``rows``) at once,
    folded into existing roll-ups; with ``customers`` (an expression of a ``text[]``, run
    before the first row), only theirs (``app.events.flush``)."""
    guard = "" if customers is None else f"WHERE s.customer_id = ANY({customers})"
    keys = "day, " if day else ""
    day_column = "s.day, " if day else ""
    day_type = "day date, " if day else ""
    later = (
        "EXCLUDED.last_at IS NOT NULL AND (r.last_at IS NULL OR "
        '(EXCLUDED.last_at, EXCLUDED.last_event_id COLLATE "C") > '
        '(r.last_at, r.last_event_id COLLATE "C"))'
    )
    return f"""
    INSERT INTO {table} AS r (
        workspace_id, customer_id, event_type, property, {keys}
        events, n, total, low, high, last_at, last_event_id, last_value
    )
    SELECT CAST(:ws AS uuid), s.customer_id, s.event_type, s.property, {day_column}
        s.events, s.n, s.total, s.low, s.high, s.last_at, s.last_event_id, s.last_value
    FROM json_to_recordset(CAST({rows} AS json)) AS s(
        customer_id text, event_type text, property text, {day_type}
        events bigint, n bigint, total numeric, low numeric, high numeric,
        last_at timestamptz, last_event_id text, last_value numeric
    )
    {guard}
    ORDER BY s.customer_id COLLATE "C", s.event_type, s.property
    ON CONFLICT (workspace_id, customer_id, event_type, property {", day" if day else ""})
    DO UPDATE SET
        events = r.events + EXCLUDED.events,
        n = r.n + EXCLUDED.n,
        total = r.total + EXCLUDED.total,
        low = LEAST(r.low, EXCLUDED.low),
        high = GREATEST(r.high, EXCLUDED.high),
        last_at = CASE WHEN {later} THEN EXCLUDED.last_at ELSE r.last_at END,
        last_event_id = CASE WHEN {later} THEN EXCLUDED.last_event_id ELSE r.last_event_id END,
        last_value = CASE WHEN {later} THEN EXCLUDED.last_value ELSE r.last_value END
    """  # noqa: S608 - built from constants only


_ADD_MANY_TO_DAYS = text(bulk_rollup_upsert("customer_source_days", day=True))
_ADD_MANY_TO_TOTALS = text(bulk_rollup_upsert("customer_source_totals", day=False))


async def add_rollups(
    conn: AsyncConnection,
    workspace_id: UUID,
    day_rows: list[dict[str, Any]],
    total_rows: list[dict[str, Any]],
) -> None:
    """Rows carry the roll-up columns and keys; decimals and times as text."""
    for statement, rows in ((_ADD_MANY_TO_DAYS, day_rows), (_ADD_MANY_TO_TOTALS, total_rows)):
        if rows:
            await conn.execute(
                statement,
                {"ws": workspace_id, "rows": json.dumps(rows, default=str, separators=(",", ":"))},
            )


_WINDOW_REVIEWS = text(
    """
    SELECT d.customer_id,
           MIN(CAST(d.day + w.window_days AS timestamp) AT TIME ZONE 'UTC') AS review_at
    FROM json_to_recordset(CAST(:windows AS json)) AS w(
        event_type text, property text, window_days integer, any_event boolean
    )
    JOIN customer_source_days AS d
      ON d.workspace_id = :ws AND d.customer_id = ANY(:ids)
     AND d.event_type = w.event_type AND d.property = w.property
     AND d.day >= CAST(:today AS date) - (w.window_days - 1)
     AND (CASE WHEN w.any_event THEN d.events > 0 ELSE d.n > 0 END)
    GROUP BY d.customer_id
    """
)


async def window_reviews(
    conn: AsyncConnection,
    workspace_id: UUID,
    windows: list[dict[str, Any]],
    customer_ids: list[str],
    today: date,
) -> dict[str, datetime]:
    """The next midnight at which a user-defined window of each customer loses a day (only
    customers with a day in some window)."""
    result = await conn.execute(
        _WINDOW_REVIEWS,
        {
            "ws": workspace_id,
            "windows": json.dumps(windows),
            "ids": customer_ids,
            "today": today,
        },
    )
    return {row.customer_id: row.review_at for row in result}
