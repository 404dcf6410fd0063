"""The set-based store of the backfill path: a chunk of events is copied (binary ``COPY``) into
a temporary staging table, then stored and folded into its customers by a few ``INSERT ...
SELECT`` statements that read it, whatever the chunk's size.

The staging table is the connection's own (``TEMP``) and empties itself at commit. Rows that
lock are written in ``customer_id`` order (byte order, as Python sorts strings, like the
normal write path), so a backfill and concurrent writers lock customers in the same order and
cannot deadlock each other; events go in ``event_id`` order, so two backfills of overlapping
ids wait for each other in one order.

Everything here runs on the driver's connection (``asyncpg``), inside the transaction its
caller began through SQLAlchemy (``open_staging`` runs first, through SQLAlchemy, so that the
transaction has begun).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.customers.repository import ADD_TOTALS
from app.db.engine import RawConnection
from app.events import staged_copy

STAGING = "tierline_staged_events"
"""The connection's staging table (``TEMP``), named in every statement below."""


class StagedRow(NamedTuple):
    """One event to store, as the staging table holds it."""

    position: int
    event_id: str
    customer_id: str
    type: str
    occurred_at: datetime
    amount: Decimal | None
    currency: str | None
    amount_base: Decimal | None
    fx_rate: Decimal | None
    properties: str
    """JSON text."""
    traits: str | None
    """JSON text; ``None`` when the event carries none."""
    fingerprint: bytes


_COLUMNS = StagedRow._fields

CREATE_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS tierline_staged_events (
    position integer NOT NULL,
    event_id text NOT NULL,
    customer_id text NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    amount numeric,
    currency text,
    amount_base numeric,
    fx_rate numeric,
    properties text NOT NULL,
    traits text,
    fingerprint bytea NOT NULL,
    created boolean NOT NULL DEFAULT false
) ON COMMIT DELETE ROWS
"""

_INSERT_EVENTS = """
WITH inserted AS (
    INSERT INTO events (
        workspace_id, event_id, customer_id, type, occurred_at, amount, currency,
        amount_base, fx_rate, properties, fingerprint, received_at
    )
    SELECT $1, s.event_id, s.customer_id, s.type, s.occurred_at, s.amount, s.currency,
           s.amount_base, s.fx_rate, CAST(s.properties AS jsonb), s.fingerprint, $2
    FROM tierline_staged_events AS s
    ORDER BY s.event_id COLLATE "C"
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING event_id
)
UPDATE tierline_staged_events AS s SET created = true
FROM inserted WHERE s.event_id = inserted.event_id
RETURNING s.position
"""

_STORED_FINGERPRINTS = """
SELECT s.position, e.fingerprint
FROM tierline_staged_events AS s
JOIN events AS e ON e.workspace_id = $1 AND e.event_id = s.event_id
WHERE NOT s.created
"""

# Traits: per customer and name, the value of its latest event (``occurred_at``, then file
# order); a JSON null removes the name (``_REMOVE_TRAITS``).
_FOLD_CUSTOMERS = f"""
WITH created AS (SELECT * FROM tierline_staged_events WHERE created),
totals AS (
    SELECT customer_id,
           count(*) FILTER (WHERE type = 'order') AS order_count,
           COALESCE(sum(amount_base) FILTER (WHERE type = 'order'), 0) AS order_total,
           COALESCE(sum(amount_base) FILTER (WHERE type = 'refund'), 0) AS refund_total,
           min(occurred_at) FILTER (WHERE type = 'order') AS first_order_at,
           max(occurred_at) FILTER (WHERE type = 'order') AS last_order_at,
           max(occurred_at) AS last_event_at
    FROM created GROUP BY customer_id
),
counts AS (
    SELECT customer_id, jsonb_object_agg(type, n) AS event_counts
    FROM (SELECT customer_id, type, count(*) AS n FROM created GROUP BY customer_id, type) AS t
    GROUP BY customer_id
),
latest_traits AS (
    SELECT DISTINCT ON (c.customer_id, t.name) c.customer_id, t.name, t.value
    FROM created AS c, jsonb_each(CAST(c.traits AS jsonb)) AS t(name, value)
    WHERE c.traits IS NOT NULL
    ORDER BY c.customer_id, t.name, c.occurred_at DESC, c.position DESC
),
traits AS (
    SELECT customer_id, jsonb_object_agg(name, value) AS traits
    FROM latest_traits WHERE value <> 'null' GROUP BY customer_id
)
INSERT INTO customers AS c (
    workspace_id, customer_id, traits, order_count, order_total, refund_total,
    first_order_at, last_order_at, last_event_at, event_counts, created_at, updated_at
)
SELECT $1, totals.customer_id, COALESCE(traits.traits, '{{}}'), totals.order_count,
       totals.order_total, totals.refund_total, totals.first_order_at, totals.last_order_at,
       totals.last_event_at, counts.event_counts, $2, $2
FROM totals
JOIN counts USING (customer_id)
LEFT JOIN traits USING (customer_id)
ORDER BY totals.customer_id COLLATE "C"
ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
    traits = c.traits || EXCLUDED.traits,
    {ADD_TOTALS},
    event_counts = c.event_counts || (
        SELECT jsonb_object_agg(
            added.type, added.n::integer + COALESCE((c.event_counts ->> added.type)::integer, 0)
        )
        FROM jsonb_each_text(EXCLUDED.event_counts) AS added(type, n)
    ),
    updated_at = EXCLUDED.updated_at
"""  # noqa: S608 - built from constants only

# After _FOLD_CUSTOMERS in the same transaction: the rows are locked already.
_REMOVE_TRAITS = """
UPDATE customers AS c SET traits = c.traits - removed.names
FROM (
    SELECT customer_id, array_agg(name) AS names
    FROM (
        SELECT DISTINCT ON (s.customer_id, t.name) s.customer_id, t.name, t.value
        FROM tierline_staged_events AS s, jsonb_each(CAST(s.traits AS jsonb)) AS t(name, value)
        WHERE s.created AND s.traits IS NOT NULL
        ORDER BY s.customer_id, t.name, s.occurred_at DESC, s.position DESC
    ) AS latest
    WHERE value = 'null'
    GROUP BY customer_id
) AS removed
WHERE c.workspace_id = $1 AND c.customer_id = removed.customer_id
"""

_ADD_DAYS = """
INSERT INTO customer_days AS d
    (workspace_id, customer_id, day, orders, order_amount, refund_amount)
SELECT $1, customer_id, CAST(occurred_at AT TIME ZONE 'UTC' AS date) AS day,
       count(*) FILTER (WHERE type = 'order'),
       COALESCE(sum(amount_base) FILTER (WHERE type = 'order'), 0),
       COALESCE(sum(amount_base) FILTER (WHERE type = 'refund'), 0)
FROM tierline_staged_events
WHERE created AND type IN ('order', 'refund')
GROUP BY customer_id, day
ORDER BY customer_id COLLATE "C", day
ON CONFLICT (workspace_id, customer_id, day) DO UPDATE SET
    orders = d.orders + EXCLUDED.orders,
    order_amount = d.order_amount + EXCLUDED.order_amount,
    refund_amount = d.refund_amount + EXCLUDED.refund_amount
"""

_MARK_PENDING = """
INSERT INTO pending_classifications AS p (workspace_id, customer_id, notify)
SELECT DISTINCT $1::uuid, customer_id, $2::boolean
FROM tierline_staged_events WHERE created
ORDER BY 2
ON CONFLICT (workspace_id, customer_id) {}
"""
# A customer pending already stays as it is, unless this import asks for webhooks: then it
# gets them. DO NOTHING, rather than an update whose condition fails, leaves the row
# unlocked: most of a chunk's customers were pending already, from the chunks before.
_MARK_PENDING_SILENT = _MARK_PENDING.format("DO NOTHING")
_MARK_PENDING_NOTIFY = _MARK_PENDING.format(
    "DO UPDATE SET notify = true WHERE EXCLUDED.notify AND NOT p.notify"
)


async def open_staging(conn: AsyncConnection) -> RawConnection:
    """The driver's connection, with an empty staging table, in the transaction ``conn``
    has begun (this statement begins it, if nothing has yet)."""
    # Every time: a transaction that created it may have been rolled back.
    await conn.execute(text(CREATE_STAGING))
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    # Empty unless this transaction staged a chunk already (it empties itself at commit).
    await raw.execute("DELETE FROM tierline_staged_events")
    return raw  # type: ignore[no-any-return]


async def load(raw: RawConnection, rows: Sequence[StagedRow]) -> None:
    """Copies the rows, of distinct event ids, into the staging table."""
    await raw.copy_records_to_table(STAGING, records=rows, columns=_COLUMNS)


async def load_encoded(raw: RawConnection, rows: list[bytes]) -> None:
    """Copies rows encoded by ``app.events.staged_copy.row``, of distinct event ids, into the
    staging table: what ``load`` does, without asyncpg encoding each value."""
    await raw.copy_to_table(
        STAGING,
        source=io.BytesIO(b"".join((staged_copy.HEADER, *rows, staged_copy.TRAILER))),
        columns=staged_copy.COLUMNS,
        format="binary",
    )


async def insert_events(raw: RawConnection, workspace_id: UUID, now: datetime) -> set[int]:
    """Stores the staged events whose ids are not stored yet; the positions of those stored."""
    return {row[0] for row in await raw.fetch(_INSERT_EVENTS, workspace_id, now)}


async def stored_fingerprints(raw: RawConnection, workspace_id: UUID) -> dict[int, bytes]:
    """By position, the fingerprint stored under each staged event's id that was not stored
    now (absent when the stored event was erased meanwhile)."""
    rows = await raw.fetch(_STORED_FINGERPRINTS, workspace_id)
    return {row[0]: bytes(row[1]) for row in rows}


async def fold_into_customers(
    raw: RawConnection, workspace_id: UUID, now: datetime, *, removes_traits: bool
) -> None:
    """Creates the stored events' customers or adds the events to their totals, traits,
    event counts and daily roll-ups, locking them in id order."""
    await raw.execute(_FOLD_CUSTOMERS, workspace_id, now)
    if removes_traits:
        await raw.execute(_REMOVE_TRAITS, workspace_id)
    await raw.execute(_ADD_DAYS, workspace_id)


async def mark_pending(raw: RawConnection, workspace_id: UUID, notify: bool) -> None:
    """Records the stored events' customers as still to classify."""
    await raw.execute(
        _MARK_PENDING_NOTIFY if notify else _MARK_PENDING_SILENT, workspace_id, notify
    )
