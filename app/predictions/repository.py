"""SQL of the CLV predictions: what the models see of each customer, the workspace's active
model, and the predictions kept on the customers table.

The summaries are computed from the daily roll-ups. A purchase day is a UTC day with at least
one order (``customer_days.orders > 0``): several orders on one day are one transaction, as the
models' authors count them. Per customer, as of an end date:

- ``frequency``: purchase days after the first (repeat purchases);
- ``recency``: days from the first purchase day to the last;
- ``age``: days from the first purchase day to the end (``T`` in the papers);
- ``monetary``: the mean net total (orders minus that day's refunds) of the repeat purchase
  days, the first day left out; NULL without a repeat purchase. A refund on a day without an
  order belongs to no purchase day and does not count.

Customers whose first purchase is after the end are not seen. Each statement is one pass over
the roll-ups; amounts are summed exactly and only the mean is handed over as a float. The fit
reads the same columns (``SUMMARY_COLUMNS``) over the whole workspace (``app.clv.summaries``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record
from app.predictions.model import Summaries

_NET = "order_amount - refund_amount"
SUMMARY_COLUMNS = f"""
    count(*) - 1 AS frequency,
    max(day) - min(day) AS recency,
    GREATEST(CAST(:end AS date), max(day)) - min(day) AS age,
    CAST((sum({_NET}) - (array_agg({_NET} ORDER BY day))[1]) / NULLIF(count(*) - 1, 0)
         AS float8) AS monetary
"""
"""A customer's summary, aggregated over its ``customer_days`` rows with orders up to
``:end``."""
# ``GREATEST`` only matters for the live predictions: an event may be dated a few minutes
# into tomorrow (UTC), and the age must not be shorter than the recency.

FOR_CUSTOMERS_SQL = f"""
    SELECT customer_id, {SUMMARY_COLUMNS}
    FROM customer_days
    WHERE workspace_id = :ws AND customer_id = ANY(CAST(:ids AS text[])) AND orders > 0
    GROUP BY customer_id
"""  # noqa: S608 - built from constants only
_FOR_CUSTOMERS = text(FOR_CUSTOMERS_SQL)

_ACTIVE = text(
    """
    SELECT m.workspace_id, m.job_id, m.fitted_at, m.calibration_end, m.holdout_days, m.report,
           m.fit_requested_at, m.scored_at, w.clv_discount_rate, w.clv_refit_days,
           w.base_currency
    FROM clv_models m JOIN workspaces w ON w.id = m.workspace_id
    WHERE m.workspace_id = :ws
    """
)

# Rounded in SQL so that both engines compare the very numbers stored (the money of
# ``predicted_clv_365d`` to the base currency's minor units, the average
# ``expected_order_value`` to cents: ``app.money.average_places``); only rows whose
# predictions change are written (and returned, for re-classification).
WRITE_SQL = """
    UPDATE customers AS c
    SET p_alive = v.p_alive, expected_orders_90d = v.expected_orders_90d,
        expected_orders_365d = v.expected_orders_365d,
        expected_order_value = v.expected_order_value, predicted_clv_365d = v.predicted_clv_365d
    FROM (
        SELECT u.customer_id,
               round(CAST(u.p_alive AS numeric), 4) AS p_alive,
               round(CAST(u.expected_orders_90d AS numeric), 4) AS expected_orders_90d,
               round(CAST(u.expected_orders_365d AS numeric), 4) AS expected_orders_365d,
               round(CAST(u.expected_order_value AS numeric), CAST(:average_places AS integer))
                   AS expected_order_value,
               round(CAST(u.predicted_clv_365d AS numeric), CAST(:money_places AS integer))
                   AS predicted_clv_365d
        FROM unnest(CAST(:ids AS text[]), CAST(:p_alive AS float8[]),
                    CAST(:expected_orders_90d AS float8[]),
                    CAST(:expected_orders_365d AS float8[]),
                    CAST(:expected_order_value AS float8[]),
                    CAST(:predicted_clv_365d AS float8[]))
             AS u(customer_id, p_alive, expected_orders_90d, expected_orders_365d,
                  expected_order_value, predicted_clv_365d)
    ) AS v
    WHERE c.workspace_id = :ws AND c.customer_id = v.customer_id
      AND (c.p_alive, c.expected_orders_90d, c.expected_orders_365d, c.expected_order_value,
           c.predicted_clv_365d)
          IS DISTINCT FROM (v.p_alive, v.expected_orders_90d, v.expected_orders_365d,
                            v.expected_order_value, v.predicted_clv_365d)
    RETURNING c.*
"""
_WRITE = text(WRITE_SQL)


def summary_table(rows: Sequence[Sequence[float | None]]) -> NDArray[np.float64]:
    """Rows of ``SUMMARY_COLUMNS`` as one (n, 4) array; a NULL monetary is NaN."""
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


async def for_customers(
    conn: AsyncConnection, workspace_id: UUID, ids: Sequence[str], end: date
) -> tuple[list[str], Summaries]:
    """The summaries as of ``end`` (today: every purchase counts, even one dated a few
    minutes into tomorrow) of those of ``ids`` with a purchase, and their ids."""
    rows = (
        await conn.execute(_FOR_CUSTOMERS, {"ws": workspace_id, "ids": list(ids), "end": end})
    ).all()
    return summaries_of([tuple(row) for row in rows])


def summaries_of(rows: Sequence[Sequence[Any]]) -> tuple[list[str], Summaries]:
    """The ids and summaries of rows of ``FOR_CUSTOMERS_SQL``."""
    return [row[0] for row in rows], Summaries.from_columns(
        summary_table([row[1:] for row in rows]).T.copy()
    )


async def active_model(conn: AsyncConnection, workspace_id: UUID) -> Record | None:
    """The workspace's model (its report holds the parameters) with the workspace's CLV
    settings; None before the first fit."""
    row: Record | None = (await conn.execute(_ACTIVE, {"ws": workspace_id})).one_or_none()
    return row


async def write(
    conn: AsyncConnection,
    workspace_id: UUID,
    ids: list[str],
    predictions: Mapping[str, Any],
) -> list[Record]:
    """Stores ``predictions`` (one list per column, aligned with ``ids``, and the places
    of money: ``WRITE_SQL``'s parameters); returns the rows whose predictions changed, as
    written."""
    params = {"ws": workspace_id, "ids": ids, **predictions}
    return list((await conn.execute(_WRITE, params)).all())
