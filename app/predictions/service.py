"""Keeping each customer's CLV predictions current with the workspace's active model.

The write path and backfills call ``refresh_predictions`` as a customer's purchase days
change; the rescoring job (``app.clv.service``) calls it chunk by chunk for everyone. The
predictions are the customer columns ``p_alive``, ``expected_orders_90d``,
``expected_orders_365d``, ``expected_order_value`` and ``predicted_clv_365d``, written by name
(``app.customers.metrics.CLV_METRICS`` reads the same columns for the profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import utc_day
from app.currencies import minor_units
from app.db import Record
from app.money import average_places
from app.predictions import model, repository
from app.predictions.model import Summaries

HORIZON_DAYS = 365


@dataclass(frozen=True, slots=True)
class Predictor:
    """The active model with the workspace's discount rate: what predictions need."""

    bgnbd: model.BgNbd
    gamma_gamma: model.GammaGamma
    discount_rate: float

    def predict(self, s: Summaries) -> dict[str, NDArray[np.float64]]:
        """The predictions for each summary by column name, unrounded."""
        bg, gg = self.bgnbd, self.gamma_gamma
        return {
            "p_alive": model.p_alive(bg, s.frequency, s.recency, s.age),
            "expected_orders_90d": model.expected_purchases(bg, 90, s.frequency, s.recency, s.age),
            "expected_orders_365d": model.expected_purchases(
                bg, HORIZON_DAYS, s.frequency, s.recency, s.age
            ),
            "expected_order_value": model.expected_order_value(gg, s.frequency, s.monetary),
            "predicted_clv_365d": model.predicted_value(
                bg,
                gg,
                HORIZON_DAYS,
                self.discount_rate,
                s.frequency,
                s.recency,
                s.age,
                s.monetary,
            ),
        }


def _predictor(row: Record) -> Predictor:
    bg, gg = row.report["bgnbd"], row.report["gamma_gamma"]
    return Predictor(
        model.BgNbd(r=bg["r"], alpha=bg["alpha"], a=bg["a"], b=bg["b"]),
        model.GammaGamma(p=gg["p"], q=gg["q"], gamma=gg["gamma"]),
        float(row.clv_discount_rate),
    )


def _column(values: NDArray[np.float64]) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


async def refresh_predictions(
    conn: AsyncConnection, workspace_id: UUID, ids: list[str], now: datetime
) -> list[Record]:
    """Recomputes the predictions of ``ids`` (whose rows the caller holds locked) as of
    ``now`` with the active model; returns the rows whose predictions changed, as written.
    A workspace without a model pays one primary-key lookup."""
    if not ids:
        return []
    row = await repository.active_model(conn, workspace_id)
    if row is None:
        return []
    predicted_ids, summaries = await repository.for_customers(conn, workspace_id, ids, utc_day(now))
    return await write_predictions(conn, workspace_id, row, ids, predicted_ids, summaries)


async def write_predictions(
    conn: AsyncConnection,
    workspace_id: UUID,
    model: Record,
    ids: list[str],
    predicted_ids: list[str],
    summaries: Summaries,
) -> list[Record]:
    """Stores what ``model`` predicts from the summaries of ``predicted_ids`` (those of
    ``ids`` with a purchase); returns the rows whose predictions changed, as written."""
    ordered, columns = predictions(model, ids, predicted_ids, summaries)
    return await repository.write(conn, workspace_id, ordered, columns)


def predictions(
    model: Record, ids: list[str], predicted_ids: list[str], summaries: Summaries
) -> tuple[list[str], dict[str, Any]]:
    """What ``model`` predicts from the summaries of ``predicted_ids`` (those of ``ids`` with
    a purchase): the ids, and a column per prediction aligned with them, with the places
    the workspace's base currency rounds money and averages to, as ``repository.WRITE_SQL``
    takes them."""
    values = _predictor(model).predict(summaries)
    # Customers without a purchase get no prediction (NULL), e.g. after their only order
    # was erased.
    seen = set(predicted_ids)
    missing = [i for i in ids if i not in seen]
    columns: dict[str, Any] = {
        name: _column(v) + [None] * len(missing) for name, v in values.items()
    }
    columns["money_places"] = minor_units(model.base_currency)
    columns["average_places"] = average_places(model.base_currency)
    return predicted_ids + missing, columns
