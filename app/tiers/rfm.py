"""RFM scores: recency, frequency and monetary value as metrics 1-5, refreshed set-based.

Among a workspace's customers with at least one order, each score is
``ceil(5 * cume_dist())`` over one value: ``days_since_last_order`` descending (the most recent
score 5) for ``rfm_r``, ``order_count`` ascending for ``rfm_f``, ``lifetime_spend`` ascending
for ``rfm_m``. PostgreSQL's ``cume_dist`` is the fraction of customers whose value comes before
or ties with one's own, so equal values get equal scores. ``rfm_fm`` is the mean of ``rfm_f``
and ``rfm_m`` rounded half up. Customers without orders have no scores (NULL).

The scores live on the customer row and change only at a refresh (one statement per
workspace, daily by ``work`` or on request), never per event: a customer's score depends on
everyone else's values, so updating it per event would rewrite the whole workspace each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.api.deps import Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.clock import Clock, utc_day
from app.customers.metrics import RFM_METRICS
from app.db import statistics
from app.errors import NotFound
from app.jobs import RECLASSIFY_JOB
from app.jobs import service as jobs
from app.money import format_money
from app.segments import repository as segment_store
from app.tiers import repository as tiers

logger = logging.getLogger(__name__)

SCORES = range(1, 6)
DIMENSIONS = ("r", "f", "m")
REFRESH_EVERY = timedelta(hours=24)
POLL_SECONDS = 60.0

_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('rfm:' || CAST(CAST(:ws AS uuid) AS text), 0))"
)
_TRY_LOCK = text(
    "SELECT pg_try_advisory_xact_lock("
    "hashtextextended('rfm:' || CAST(CAST(:ws AS uuid) AS text), 0))"
)

# One statement: rank (from one snapshot), write the scores that changed (row locks taken in
# customer id order, as every bulk writer takes them), and report the values behind each score.
_REFRESH = text(
    """
    WITH ranked AS (
        SELECT v.*,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.days DESC)) AS smallint) AS r,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.order_count)) AS smallint) AS f,
               CAST(ceil(5 * cume_dist() OVER (ORDER BY v.spend)) AS smallint) AS m
        FROM (
            SELECT customer_id, order_count, order_total - refund_total AS spend,
                   GREATEST(CAST(:today AS date)
                            - CAST(timezone('UTC', last_order_at) AS date), 0) AS days
            FROM customers
            WHERE workspace_id = :ws AND order_count > 0
        ) AS v
    ),
    changed AS (
        SELECT c.customer_id, k.r, k.f, k.m,
               CAST(round((k.f + k.m) / 2.0) AS smallint) AS fm
        FROM customers c
        LEFT JOIN ranked k ON k.customer_id = c.customer_id
        WHERE c.workspace_id = :ws
          AND (c.rfm_r, c.rfm_f, c.rfm_m) IS DISTINCT FROM (k.r, k.f, k.m)
    ),
    locked AS (
        SELECT c.customer_id FROM customers c
        WHERE c.workspace_id = :ws AND c.customer_id IN (SELECT customer_id FROM changed)
        ORDER BY c.customer_id
        FOR UPDATE
    ),
    written AS (
        UPDATE customers AS c
        SET rfm_r = s.r, rfm_f = s.f, rfm_m = s.m, rfm_fm = s.fm
        FROM changed s JOIN locked l ON l.customer_id = s.customer_id
        WHERE c.workspace_id = :ws AND c.customer_id = s.customer_id
        RETURNING c.customer_id
    ),
    bands AS (
        SELECT 'r' AS dimension, r AS score, count(*) AS customers,
               CAST(min(days) AS text) AS low, CAST(max(days) AS text) AS high
        FROM ranked GROUP BY r
        UNION ALL
        SELECT 'f', f, count(*), CAST(min(order_count) AS text), CAST(max(order_count) AS text)
        FROM ranked GROUP BY f
        UNION ALL
        SELECT 'm', m, count(*), CAST(min(spend) AS text), CAST(max(spend) AS text)
        FROM ranked GROUP BY m
    )
    SELECT (SELECT count(*) FROM written) AS changed,
           (SELECT count(*) FROM ranked) AS scored,
           CAST(COALESCE((SELECT jsonb_agg(b) FROM bands b), '[]') AS text) AS bands
    """
)

_SAVE = text(
    """
    INSERT INTO rfm_refreshes (workspace_id, refreshed_at, customers, cut_points)
    VALUES (:ws, :now, :customers, CAST(:cut_points AS jsonb))
    ON CONFLICT (workspace_id) DO UPDATE SET
        refreshed_at = EXCLUDED.refreshed_at, customers = EXCLUDED.customers,
        cut_points = EXCLUDED.cut_points
    """
)

# Cheap beside the refresh, which reads every one of them: against stale statistics.
_CUSTOMERS = text("SELECT count(*) FROM customers WHERE workspace_id = :ws")

_LAST = text(
    "SELECT refreshed_at, customers, cut_points FROM rfm_refreshes WHERE workspace_id = :ws"
)

# Workspaces whose scores are a day old, or were never computed though someone has ordered.
_DUE = text(
    """
    SELECT w.id FROM workspaces w
    LEFT JOIN rfm_refreshes r ON r.workspace_id = w.id
    WHERE w.deleted_at IS NULL
      AND (CAST(:ws AS uuid) IS NULL OR w.id = CAST(:ws AS uuid))
      AND CASE WHEN r.workspace_id IS NULL
               THEN EXISTS (SELECT 1 FROM customers c
                            WHERE c.workspace_id = w.id AND c.order_count > 0)
               ELSE r.refreshed_at <= :stale_at END
    ORDER BY w.id
    """
)


@dataclass(frozen=True, slots=True)
class Refresh:
    refreshed_at: datetime
    customers: int
    cut_points: dict[str, list[dict[str, Any]]]
    job_id: UUID | None


class RfmRefreshNotFound(NotFound):
    pass


def _shown(dimension: str, value: str | None) -> int | str | None:
    """A value behind a score as the metric shows it: spend as money, the others as counts."""
    if value is None:
        return None
    return format_money(Decimal(value)) if dimension == "m" else int(value)


def _cut_points(bands: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per dimension, a band for each score 1-5 (no customers and no range when empty)."""
    found = {(band["dimension"], band["score"]): band for band in bands}
    empty = {"customers": 0, "low": None, "high": None}
    points: dict[str, list[dict[str, Any]]] = {}
    for dimension in DIMENSIONS:
        points[dimension] = []
        for score in SCORES:
            band = found.get((dimension, score), empty)
            points[dimension].append(
                {
                    "score": score,
                    "customers": band["customers"],
                    "min": _shown(dimension, band["low"]),
                    "max": _shown(dimension, band["high"]),
                }
            )
    return points


async def _read_by_rfm(conn: AsyncConnection, workspace_id: UUID) -> bool:
    """Whether an active scheme or segment reads an RFM score."""
    scores = set(RFM_METRICS)
    schemes = await tiers.active_schemes(conn, workspace_id)
    segments = await segment_store.active_segments(conn, workspace_id)
    return any(s.reads_metrics & scores for s in schemes) or any(
        s.reads_metrics & scores for s in segments
    )


async def refresh(conn: AsyncConnection, workspace_id: UUID, now: datetime) -> Refresh:
    """Scores the workspace's customers as of ``now``, records the refresh, and queues the
    reclassification of what reads the scores when any changed."""
    await conn.execute(_LOCK, {"ws": workspace_id})  # one refresh of a workspace at a time
    customers = (await conn.execute(_CUSTOMERS, {"ws": workspace_id})).scalar_one()
    await statistics.analyze_if_underestimated(conn, workspace_id, "customers", customers)
    row = (await conn.execute(_REFRESH, {"ws": workspace_id, "today": utc_day(now)})).one()
    cut_points = _cut_points(json.loads(row.bands))
    await conn.execute(
        _SAVE,
        {
            "ws": workspace_id,
            "now": now,
            "customers": row.scored,
            "cut_points": json.dumps(cut_points),
        },
    )
    job_id = None
    if row.changed and await _read_by_rfm(conn, workspace_id):
        job_id = await jobs.create(
            conn,
            workspace_id,
            RECLASSIFY_JOB,
            {"reason": "rfm_refresh", "metrics": list(RFM_METRICS)},
            now,
        )
    return Refresh(now, row.scored, cut_points, job_id)


async def last_refresh(conn: AsyncConnection, workspace_id: UUID) -> Refresh:
    row = (await conn.execute(_LAST, {"ws": workspace_id})).one_or_none()
    if row is None:
        raise RfmRefreshNotFound("RFM scores were never refreshed in this workspace.")
    return Refresh(row.refreshed_at, row.customers, row.cut_points, None)


async def refresh_due(engine: AsyncEngine, clock: Clock) -> int:
    """Refreshes every workspace due now, each in its own transaction; a workspace another
    process is refreshing is left to it. Returns how many were refreshed."""
    async with engine.connect() as conn:
        due = await _due(conn, None, clock.now())
        await conn.rollback()
    refreshed = 0
    for workspace_id in due:
        async with engine.connect() as conn, conn.begin():
            if not (await conn.execute(_TRY_LOCK, {"ws": workspace_id})).scalar_one():
                continue
            now = clock.now()
            if await _due(conn, workspace_id, now):  # not just refreshed by another process
                await refresh(conn, workspace_id, now)
                refreshed += 1
    return refreshed


async def _due(conn: AsyncConnection, workspace_id: UUID | None, now: datetime) -> list[UUID]:
    params = {"ws": workspace_id, "stale_at": now - REFRESH_EVERY}
    return list((await conn.execute(_DUE, params)).scalars())


async def work(engine: AsyncEngine, clock: Clock, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await refresh_due(engine, clock)
        except Exception:
            logger.exception("RFM refresh error; retrying shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)


# HTTP


class CutPoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score: int = Field(ge=1, le=5)
    customers: int = Field(description="How many customers have this score.")
    min: int | str | None = Field(
        description="The lowest value among the customers with this score (null when none): "
        "days since the last order for `r`, orders for `f`, lifetime spend as a decimal "
        "string for `m`."
    )
    max: int | str | None = Field(description="The highest such value (null when none).")


class CutPoints(BaseModel):
    r: list[CutPoint] = Field(description="Recency: `days_since_last_order` per `rfm_r` score.")
    f: list[CutPoint] = Field(description="Frequency: `order_count` per `rfm_f` score.")
    m: list[CutPoint] = Field(description="Monetary: `lifetime_spend` per `rfm_m` score.")


class RfmRefreshOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    refreshed_at: datetime
    customers: int = Field(description="How many customers were scored (those with an order).")
    cut_points: CutPoints


class RfmRefreshResult(RfmRefreshOut):
    job_id: UUID | None = Field(
        description="The job reclassifying the schemes and segments that read an RFM score "
        "(history reason `rfm_refresh`); null when no score changed or nothing reads one."
    )


_RULE = (
    "Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` "
    "from 1 to 5 as `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` "
    "descending (the most recent order scores highest; days are whole UTC days), "
    "`order_count` ascending and `lifetime_spend` ascending. `cume_dist` is the share of "
    "customers whose value comes before or equals one's own, so equal values get equal "
    "scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without "
    "orders have null scores.\n\n"
    "Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` "
    "ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) = 3, 4 and 5; with `rfm_m` 3, the first two get "
    "`rfm_fm` round(2.5) = 3.\n\n"
    "The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and "
    "searches) but change only at a refresh: every 24 hours, or on request here."
)

rfm_router = APIRouter(
    prefix="/v1/schemes/rfm/refresh", tags=["Schemes"], responses=problems(401, 403)
)


@rfm_router.post(
    "",
    summary="Refresh the workspace's RFM scores",
    description=f"{_RULE}\n\nScores every customer now, in one statement, records the cut "
    "points, and queues the reclassification of the schemes and segments that read a score.",
)
async def post_refresh(
    conn: Transaction,
    now: Now,
    principal: Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))],
) -> RfmRefreshResult:
    return RfmRefreshResult.model_validate(await refresh(conn, principal.workspace_id, now))


@rfm_router.get(
    "",
    summary="The last RFM refresh",
    description=f"{_RULE}\n\nWhen the scores were last computed, and the cut points then.",
    responses=problems(404),
)
async def get_refresh(
    conn: Transaction,
    principal: Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))],
) -> RfmRefreshOut:
    return RfmRefreshOut.model_validate(await last_refresh(conn, principal.workspace_id))
