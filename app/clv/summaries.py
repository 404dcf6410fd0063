"""What the CLV models see of each customer, computed in SQL from the daily roll-ups.

A purchase day is a UTC day with at least one order (``customer_days.orders > 0``): several
orders on one day are one transaction, as the models' authors count them. Per customer, as of
an end date:

- ``frequency``: purchase days after the first (repeat purchases);
- ``recency``: days from the first purchase day to the last;
- ``age``: days from the first purchase day to the end (``T`` in the papers);
- ``monetary``: the mean net total (orders minus that day's refunds) of the repeat purchase
  days, the first day left out; NULL without a repeat purchase. A refund on a day without an
  order belongs to no purchase day and does not count.

Customers whose first purchase is after the end are not seen. Each statement is one pass over
the roll-ups; amounts are summed exactly and only the mean is handed over as a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_NET = "order_amount - refund_amount"
_COLUMNS = f"""
    count(*) - 1 AS frequency,
    max(day) - min(day) AS recency,
    GREATEST(CAST(:end AS date), max(day)) - min(day) AS age,
    CAST((sum({_NET}) - (array_agg({_NET} ORDER BY day))[1]) / NULLIF(count(*) - 1, 0)
         AS float8) AS monetary
"""
# ``GREATEST`` only matters for the live predictions: an event may be dated a few minutes
# into tomorrow (UTC), and the age must not be shorter than the recency.

_FOR_FIT = text(
    f"""
    SELECT {_COLUMNS}
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

_FOR_CUSTOMERS = text(
    f"""
    SELECT customer_id, {_COLUMNS}
    FROM customer_days
    WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[])) AND orders > 0
    GROUP BY customer_id
    """  # noqa: S608 - built from constants only
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


@dataclass(frozen=True, slots=True)
class Summaries:
    """One entry per customer; ``monetary`` is 0 where there is no repeat purchase."""

    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    age: NDArray[np.float64]
    monetary: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.frequency)


def _table(rows: Sequence[Sequence[float | None]]) -> NDArray[np.float64]:
    """The rows as one (n, 4) array; a NULL monetary is NaN."""
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def _summaries(columns: NDArray[np.float64]) -> Summaries:
    """From a (4, n) array: each summary a row of it, no copy."""
    return Summaries(
        frequency=columns[0],
        recency=columns[1],
        age=columns[2],
        monetary=np.nan_to_num(columns[3], nan=0.0, copy=False),
    )


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
        table = _table([tuple(row) for row in partition])
        room = min(len(table), expected - filled)
        columns[:, filled : filled + room] = table[:room].T
        filled += room
        if room < len(table):
            beyond.append(table[room:].T)
    if beyond:
        return _summaries(np.concatenate([columns, *beyond], axis=1))
    return _summaries(columns[:, :filled])


async def for_customers(
    conn: AsyncConnection, workspace_id: UUID, ids: Sequence[str], end: date
) -> tuple[list[str], Summaries]:
    """The summaries as of ``end`` (today: every purchase counts, even one dated a few
    minutes into tomorrow) of those of ``ids`` with a purchase, and their ids."""
    rows = (
        await conn.execute(_FOR_CUSTOMERS, {"ws": workspace_id, "ids": list(ids), "end": end})
    ).all()
    return [row.customer_id for row in rows], _summaries(
        _table([tuple(row)[1:] for row in rows]).T.copy()
    )


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
