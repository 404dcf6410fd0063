"""What the CLV fit sees of the workspace: every customer's summary as of the calibration end
(``app.predictions.repository`` defines the summary), the purchase days in the holdout, and
the counts that check a fit request, computed in SQL from the daily roll-ups.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.predictions.model import Summaries
from app.predictions.repository import SUMMARY_COLUMNS, summary_table

_FOR_FIT = text(
    f"""
    SELECT {SUMMARY_COLUMNS}
    FROM customer_days
    WHERE workspace_id = :ws AND orders > 0 AND day <= :end
    GROUP BY customer_id
    """  # noqa: S608 - built from constants only
)

# How many customers ``_FOR_FIT`` returns, from the customers table (a purchase day by
# ``end`` is a first order by then): the size to allocate.
_BUYERS = text(
    "SELECT count(*) FROM customers WHERE workspace_id = :ws "
    "AND timezone('UTC', first_order_at) < CAST(:end AS date) + 1"
)

# Purchase days in the holdout, per week after the calibration end, of the customers the model
# was fitted on (a first purchase on or before the end).
_HOLDOUT_WEEKS = text(
    """
    SELECT (d.day - CAST(:end AS date) - 1) / 7 + 1 AS week, count(*) AS purchase_days
    FROM customer_days d
    WHERE d.workspace_id = :ws AND d.orders > 0
      AND d.day > :end AND d.day <= CAST(:end AS date) + CAST(:days AS integer)
      AND EXISTS (
          SELECT 1 FROM customer_days f
          WHERE f.workspace_id = d.workspace_id AND f.customer_id = d.customer_id
            AND f.orders > 0 AND f.day <= :end
      )
    GROUP BY 1
    """
)

# Stops at ``limit``: the request only needs to know there are enough.
_REPEAT_CUSTOMERS = text(
    """
    SELECT count(*) FROM (
        SELECT 1 FROM customer_days
        WHERE workspace_id = :ws AND orders > 0 AND day <= :end
        GROUP BY customer_id HAVING count(*) > 1
        LIMIT :limit
    ) AS repeaters
    """
)

_FIRST_PURCHASE_DAY = text(
    "SELECT CAST(timezone('UTC', min(first_order_at)) AS date) FROM customers "
    "WHERE workspace_id = :ws"
)

_STREAM_ROWS = 2_000
"""Rows per fetch while streaming: small batches keep memory flat, and were also the fastest
(large ones pay for the garbage collector walking many live rows; bench/README.md)."""


async def for_fit(conn: AsyncConnection, workspace_id: UUID, end: date) -> Summaries:
    """Every customer's summary as of ``end``, streamed into arrays (a few bytes per
    customer, never the rows of a million customers at once).

    The arrays are allocated once, at the size the customers table gives, and filled in place:
    collecting the partitions and joining them held every summary twice for a moment, and the
    fit's peak at a million customers was 8 MB higher (294 MB against 286, of a 300 MB budget;
    bench/README.md). The size is only a hint: rows beyond it are appended, a shortfall is cut
    off.
    """
    expected = (await conn.execute(_BUYERS, {"ws": workspace_id, "end": end})).scalar_one()
    columns = np.empty((4, expected), dtype=np.float64)
    filled = 0
    beyond: list[NDArray[np.float64]] = []
    result = await conn.stream(_FOR_FIT, {"ws": workspace_id, "end": end})
    # The size is given here: ``yield_per`` is ignored for text() statements, which would
    # fetch every row at once.
    async for partition in result.partitions(_STREAM_ROWS):
        table = summary_table([tuple(row) for row in partition])
        room = min(len(table), expected - filled)
        columns[:, filled : filled + room] = table[:room].T
        filled += room
        if room < len(table):
            beyond.append(table[room:].T)
    if beyond:
        return Summaries.from_columns(np.concatenate([columns, *beyond], axis=1))
    return Summaries.from_columns(columns[:, :filled])


async def holdout_weeks(
    conn: AsyncConnection, workspace_id: UUID, end: date, days: int
) -> dict[int, int]:
    """Purchase days in each week of the ``days`` after ``end`` (week 1 starts the day
    after), of the customers who had bought by ``end``."""
    rows = await conn.execute(_HOLDOUT_WEEKS, {"ws": workspace_id, "end": end, "days": days})
    return {int(row.week): int(row.purchase_days) for row in rows}


async def repeat_customers(conn: AsyncConnection, workspace_id: UUID, end: date, limit: int) -> int:
    """How many customers had a repeat purchase day by ``end``, counting up to ``limit``."""
    params = {"ws": workspace_id, "end": end, "limit": limit}
    return int((await conn.execute(_REPEAT_CUSTOMERS, params)).scalar_one())


async def first_purchase_day(conn: AsyncConnection, workspace_id: UUID) -> date | None:
    day: date | None = (await conn.execute(_FIRST_PURCHASE_DAY, {"ws": workspace_id})).scalar_one()
    return day
