"""RFM refreshes: one workspace at a time, on request or daily by ``work``; a refresh that
changes a score queues the reclassification of the schemes and segments that read one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.clock import Clock, utc_day
from app.customers.metrics import RFM_METRICS
from app.db import statistics
from app.errors import NotFound
from app.jobs import RECLASSIFY_JOB
from app.jobs import service as jobs
from app.money import format_money
from app.rfm import repository
from app.segments import repository as segment_store
from app.tiers import repository as tiers

logger = logging.getLogger(__name__)

SCORES = range(1, 6)
DIMENSIONS = ("r", "f", "m")
REFRESH_EVERY = timedelta(hours=24)
POLL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Refresh:
    refreshed_at: datetime
    customers: int
    cut_points: dict[str, list[dict[str, Any]]]
    """As stored: the spend behind ``m`` as a decimal string, the others as counts."""
    job_id: UUID | None

    def shown(self, currency: str) -> Refresh:
        """As the API shows it: the spend behind ``m`` as money in ``currency``, the
        workspace's base currency."""
        points = {
            dimension: [
                {
                    **point,
                    "min": _money(point["min"], currency),
                    "max": _money(point["max"], currency),
                }
                if dimension == "m"
                else point
                for point in points
            ]
            for dimension, points in self.cut_points.items()
        }
        return replace(self, cut_points=points)


class RfmRefreshNotFound(NotFound):
    pass


def _money(value: str | None, currency: str) -> str | None:
    return None if value is None else format_money(Decimal(value), currency)


def _stored(dimension: str, value: str | None) -> int | str | None:
    """A value behind a score: spend as a decimal string, the others as counts."""
    if value is None:
        return None
    return value if dimension == "m" else int(value)


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
                    "min": _stored(dimension, band["low"]),
                    "max": _stored(dimension, band["high"]),
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
    await repository.lock(conn, workspace_id)  # one refresh of a workspace at a time
    customers = await repository.count_customers(conn, workspace_id)
    await statistics.analyze_if_underestimated(conn, workspace_id, "customers", customers)
    row = await repository.score(conn, workspace_id, utc_day(now))
    cut_points = _cut_points(json.loads(row.bands))
    await repository.save(conn, workspace_id, now, row.scored, cut_points)
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
    row = await repository.last(conn, workspace_id)
    if row is None:
        raise RfmRefreshNotFound("RFM scores were never refreshed in this workspace.")
    return Refresh(row.refreshed_at, row.customers, row.cut_points, None)


async def refresh_due(engine: AsyncEngine, clock: Clock) -> int:
    """Refreshes every workspace due now, each in its own transaction; a workspace another
    process is refreshing is left to it. Returns how many were refreshed."""
    async with engine.connect() as conn:
        due = await repository.due(conn, None, clock.now() - REFRESH_EVERY)
        await conn.rollback()
    refreshed = 0
    for workspace_id in due:
        async with engine.connect() as conn, conn.begin():
            if not await repository.try_lock(conn, workspace_id):
                continue
            now = clock.now()
            # Not when another process has just refreshed it.
            if await repository.due(conn, workspace_id, now - REFRESH_EVERY):
                await refresh(conn, workspace_id, now)
                refreshed += 1
    return refreshed


async def work(engine: AsyncEngine, clock: Clock, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await refresh_due(engine, clock)
        except Exception:
            logger.exception("RFM refresh error; retrying shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
