"""Fitting each workspace's CLV model, and rescoring every customer with it.

A fit is a job (``FIT_JOB``): it reads every customer's summary as of the calibration end in
one pass (``app.clv.summaries``), fits BG/NBD and Gamma-Gamma by maximum likelihood in a
thread (``app.clv.fit``), and only when both converge replaces the workspace's model; a
failed fit leaves the previous model active and the job says why. A new model is then applied
to every customer by a scoring job (``SCORE_JOB``), chunk by chunk, which also re-classifies
the schemes and segments that read a prediction (reason ``model_refit``).

One fit of a workspace at a time: every fit job has the same target, the workspace's model, so
a fit requested while another is queued supersedes it, and one requested while another runs
waits for it to end (``app.jobs.service``).

Between fits the predictions are kept current: the write path and backfills recompute a
customer's as its purchases change (``app.predictions.service.refresh_predictions``), and the
scheduler here rescores every customer daily (a customer's chance of being alive falls as days
pass without a purchase) and refits every ``clv_refit_days`` (reason ``prediction_refresh``
for the daily rescoring).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.repository import config_changed
from app.classification import pipeline
from app.clock import Clock, utc_day
from app.clv import FIT_JOB, SCORE_JOB
from app.clv import summaries as summary_store
from app.clv.fit import Fit, fit_bgnbd, fit_gamma_gamma
from app.customers import repository as customer_store
from app.customers.metrics import CLV_METRICS
from app.db import Record
from app.errors import InvalidInput, NotFound
from app.jobs import service as jobs
from app.predictions import repository as prediction_store
from app.predictions.model import BgNbd, Summaries, expected_purchases
from app.predictions.service import refresh_predictions
from app.tiers.policy import Reason

logger = logging.getLogger(__name__)

MIN_REPEAT_CUSTOMERS = 30
RESCORE_EVERY = timedelta(days=1)
SCORE_CHUNK = 2000
POLL_SECONDS = 60.0

_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('clv:' || CAST(CAST(:ws AS uuid) AS text), 0))"
)

_SAVE = text(
    """
    INSERT INTO clv_models (workspace_id, job_id, fitted_at, calibration_end, holdout_days,
                            report, fit_requested_at, scored_at)
    VALUES (:ws, :job_id, :now, :end, :holdout, CAST(:report AS jsonb), :requested, :now)
    ON CONFLICT (workspace_id) DO UPDATE SET
        job_id = EXCLUDED.job_id, fitted_at = EXCLUDED.fitted_at,
        calibration_end = EXCLUDED.calibration_end, holdout_days = EXCLUDED.holdout_days,
        report = EXCLUDED.report, scored_at = EXCLUDED.scored_at,
        fit_requested_at = GREATEST(clv_models.fit_requested_at, EXCLUDED.fit_requested_at)
    """
)

_FIT_REQUESTED = text("UPDATE clv_models SET fit_requested_at = :now WHERE workspace_id = :ws")
_SCORED = text("UPDATE clv_models SET scored_at = :now WHERE workspace_id = :ws")

# Workspaces whose model is due a refit or a rescoring; marking them due-no-more in the same
# statement lets several processes run the scheduler without queueing a job twice.
_DUE_REFITS = text(
    """
    UPDATE clv_models m SET fit_requested_at = :now
    FROM workspaces w
    WHERE w.id = m.workspace_id AND w.deleted_at IS NULL AND w.clv_refit_days > 0
      -- Not now - interval, a STABLE operator, which Citus refuses with a column in UPDATE.
      AND CAST(:now AS timestamptz) - m.fit_requested_at >= make_interval(days => w.clv_refit_days)
    RETURNING m.workspace_id
    """
)
_DUE_RESCORES = text(
    """
    UPDATE clv_models m SET scored_at = :now
    FROM workspaces w
    WHERE w.id = m.workspace_id AND w.deleted_at IS NULL AND m.scored_at <= :stale_at
    RETURNING m.workspace_id
    """
)


class ModelNotFound(NotFound):
    pass


class FitFailed(jobs.JobFailed):
    """The fit cannot give a usable model; the job fails with this message."""


@dataclass(frozen=True, slots=True)
class FitRequest:
    job_id: UUID
    calibration_end: date
    holdout_days: int | None


async def active_model(conn: AsyncConnection, workspace_id: UUID) -> Record:
    row = await prediction_store.active_model(conn, workspace_id)
    if row is None:
        raise ModelNotFound(
            "No CLV model has been fitted in this workspace yet (POST /v1/models/clv/fit)."
        )
    return row


# Fitting


async def request_fit(
    conn: AsyncConnection,
    workspace_id: UUID,
    calibration_end: date | None,
    holdout_days: int | None,
    now: datetime,
) -> FitRequest:
    """Checks the request against the data and queues the fit. Without a calibration end the
    calibration ends today, or ``holdout_days`` before today when a holdout is asked for."""
    today = utc_day(now)
    holdout = holdout_days or 0
    end = calibration_end if calibration_end is not None else today - timedelta(days=holdout)
    if end > today:
        raise InvalidInput.at("calibration_end", f"must not be after today ({today})", "in_future")
    if end + timedelta(days=holdout) > today:
        raise InvalidInput.at(
            "holdout_days",
            f"the holdout would end on {end + timedelta(days=holdout)}, after today ({today}); "
            f"with a calibration end of {end}, at most {(today - end).days} days",
            "holdout_beyond_today",
        )
    first = await summary_store.first_purchase_day(conn, workspace_id)
    if first is None or end < first:
        where = "there is no order yet" if first is None else f"the first order is on {first}"
        raise InvalidInput.at(
            "calibration_end", f"must not be before the first order ({where})", "before_first_order"
        )
    repeaters = await summary_store.repeat_customers(conn, workspace_id, end, MIN_REPEAT_CUSTOMERS)
    if repeaters < MIN_REPEAT_CUSTOMERS:
        raise InvalidInput.at(
            "calibration_end",
            f"only {repeaters} customers have a repeat purchase by {end}; a fit needs at "
            f"least {MIN_REPEAT_CUSTOMERS}",
            "too_few_repeat_customers",
        )
    params = {"calibration_end": end.isoformat(), "holdout_days": holdout_days or None}
    job_id = await jobs.create(conn, workspace_id, FIT_JOB, params, now)
    await conn.execute(_FIT_REQUESTED, {"ws": workspace_id, "now": now})
    return FitRequest(job_id, end, holdout_days or None)


def _fit_report(s: Summaries) -> dict[str, Any]:
    """Fits both models (CPU-bound: run in a thread); ``FitFailed`` unless both converge."""
    repeaters = s.frequency > 0
    if int(repeaters.sum()) < MIN_REPEAT_CUSTOMERS:
        raise FitFailed(
            f"only {int(repeaters.sum())} customers have a repeat purchase; a fit needs at "
            f"least {MIN_REPEAT_CUSTOMERS}"
        )
    started = time.perf_counter()
    unique, weights = _compressed(s)
    bg = fit_bgnbd(unique[:, 0], unique[:, 1], unique[:, 2], weights)
    if not bg.converged:
        raise FitFailed(f"BG/NBD did not converge: {bg.message}")
    spenders = repeaters & (s.monetary > 0)
    if int(spenders.sum()) < MIN_REPEAT_CUSTOMERS:
        raise FitFailed(
            f"only {int(spenders.sum())} repeat customers spent more than they were refunded; "
            f"Gamma-Gamma needs at least {MIN_REPEAT_CUSTOMERS}"
        )
    gg = fit_gamma_gamma(s.frequency[spenders], s.monetary[spenders])
    if not gg.converged:
        raise FitFailed(f"Gamma-Gamma did not converge: {gg.message}")
    return {
        "time_unit": "day",
        "customers": len(s),
        "repeat_customers": int(repeaters.sum()),
        "bgnbd": {
            "r": bg.params.r,
            "alpha": bg.params.alpha,
            "a": bg.params.a,
            "b": bg.params.b,
            **_outcome(bg),
        },
        "gamma_gamma": {
            "p": gg.params.p,
            "q": gg.params.q,
            "gamma": gg.params.gamma,
            "customers": int(spenders.sum()),
            **_outcome(gg),
        },
        "fit_seconds": round(time.perf_counter() - started, 3),
    }


def _outcome(fit: Fit[Any]) -> dict[str, Any]:
    return {
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
        "message": fit.message,
        "iterations": fit.iterations,
    }


def _compressed(s: Summaries) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The distinct (frequency, recency, age) triples and how many customers share each: the
    BG/NBD likelihood depends on nothing else, and a workspace has far fewer distinct triples
    than customers."""
    # Whole days since 1970 at most (events are not older), far below 2**21: one int64 key
    # per customer stands for its triple, far less memory than np.unique over rows.
    bits = 21
    key = (
        (s.frequency.astype(np.int64) << 2 * bits)
        | (s.recency.astype(np.int64) << bits)
        | s.age.astype(np.int64)
    )
    keys, counts = np.unique(key, return_counts=True)
    mask = (1 << bits) - 1
    unique = np.stack([keys >> 2 * bits, (keys >> bits) & mask, keys & mask], axis=1)
    return unique.astype(np.float64), counts.astype(np.float64)


def _tracking(
    bg: BgNbd, s: Summaries, end: date, days: int, actual: dict[int, int]
) -> dict[str, Any]:
    """Predicted against actual repeat purchase days in the holdout, week by week, of the
    customers the model was fitted on."""
    unique, weights = _compressed(s)
    weeks = []
    predicted_before = 0.0
    actual_before = 0
    for week in range(1, math.ceil(days / 7) + 1):
        span = min(week * 7, days)
        predicted = float(np.sum(weights * expected_purchases(bg, span, *unique.T)))
        cumulative_actual = actual_before + actual.get(week, 0)
        weeks.append(
            {
                "week": week,
                "start": (end + timedelta(days=(week - 1) * 7 + 1)).isoformat(),
                "end": (end + timedelta(days=span)).isoformat(),
                "predicted": round(predicted - predicted_before, 2),
                "actual": actual.get(week, 0),
                "cumulative_predicted": round(predicted, 2),
                "cumulative_actual": cumulative_actual,
            }
        )
        predicted_before, actual_before = predicted, cumulative_actual
    return {
        "days": days,
        "customers": len(s),
        "predicted": round(predicted_before, 2),
        "actual": actual_before,
        "weeks": weeks,
    }


@jobs.handler(FIT_JOB, target=lambda params: "clv_model")
async def fit_job(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    """Fits the workspace's model in one chunk, saves it when usable, and queues scoring."""
    workspace_id = job.workspace_id
    await conn.execute(_LOCK, {"ws": workspace_id})  # one fit of a workspace at a time
    raw_end = job.params.get("calibration_end")
    end = date.fromisoformat(raw_end) if raw_end else utc_day(now)
    holdout = job.params.get("holdout_days")
    summaries = await summary_store.for_fit(conn, workspace_id, end)
    report = await asyncio.to_thread(_fit_report, summaries)
    report["tracking"] = None
    if holdout:
        actual = await summary_store.holdout_weeks(conn, workspace_id, end, holdout)
        bg = report["bgnbd"]
        params = BgNbd(r=bg["r"], alpha=bg["alpha"], a=bg["a"], b=bg["b"])
        report["tracking"] = await asyncio.to_thread(
            _tracking, params, summaries, end, holdout, actual
        )
    await conn.execute(
        _SAVE,
        {
            "ws": workspace_id,
            "job_id": job.id,
            "now": now,
            "end": end,
            "holdout": holdout,
            "report": json.dumps(report),
            "requested": job.created_at,
        },
    )
    await config_changed(conn, workspace_id)
    await jobs.create(conn, workspace_id, SCORE_JOB, {"reason": "model_refit"}, now)
    return jobs.Progress(cursor=None, done=len(summaries), total=len(summaries), finished=True)


# Rescoring


async def rescore(conn: AsyncConnection, workspace_id: UUID, now: datetime) -> UUID | None:
    """Queues the rescoring of every customer with the active model (after the discount rate
    changed); None without a model."""
    result = await conn.execute(_SCORED, {"ws": workspace_id, "now": now})
    if not result.rowcount:
        return None
    return await jobs.create(conn, workspace_id, SCORE_JOB, {"reason": "prediction_refresh"}, now)


@jobs.handler(SCORE_JOB)
async def score_job(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    """Rescores the next chunk of customers, under their row locks, and re-classifies those
    whose predictions changed in the schemes and segments that read a prediction."""
    workspace_id = job.workspace_id
    total = job.total
    if total is None:
        total = await customer_store.count(conn, workspace_id)
    ids = await customer_store.lock_chunk(conn, workspace_id, job.cursor, SCORE_CHUNK)
    changed = [row.customer_id for row in await refresh_predictions(conn, workspace_id, ids, now)]
    if changed:
        targets = await pipeline.readers_of(conn, workspace_id, CLV_METRICS)
        if targets:
            reason: Reason = job.params["reason"]
            cause = {"job_id": str(job.id)}
            await pipeline.classify(
                conn, workspace_id, changed, now, reason, cause, targets=targets
            )
    return jobs.Progress(
        cursor=ids[-1] if ids else job.cursor,
        done=job.done + len(ids),
        total=total,
        finished=len(ids) < SCORE_CHUNK,
    )


# Schedule


async def queue_due(engine: AsyncEngine, clock: Clock) -> int:
    """Queues the refits and daily rescorings that are due; returns how many jobs."""
    now = clock.now()
    async with engine.connect() as conn, conn.begin():
        refits = (await conn.execute(_DUE_REFITS, {"now": now})).scalars().all()
        for workspace_id in refits:
            await jobs.create(conn, workspace_id, FIT_JOB, {"calibration_end": None}, now)
        stale_at = now - RESCORE_EVERY
        rescores = (
            (await conn.execute(_DUE_RESCORES, {"now": now, "stale_at": stale_at})).scalars().all()
        )
        for workspace_id in rescores:
            if workspace_id not in refits:  # a refit rescores everyone anyway
                await jobs.create(
                    conn, workspace_id, SCORE_JOB, {"reason": "prediction_refresh"}, now
                )
    return len(refits) + len(set(rescores) - set(refits))


async def work(engine: AsyncEngine, clock: Clock, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await queue_due(engine, clock)
        except Exception:
            logger.exception("CLV scheduler error; retrying shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
