"""HTTP routes for the workspace's CLV model: fit one, read the active one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import Now, Transaction, require
from app.api.idempotency import Idempotent
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.clv import service

router = APIRouter(prefix="/v1/models/clv", tags=["Models"], responses=problems(401, 403))

_SEEN = (
    "The models see each customer's purchase days (UTC days with an order; several orders on "
    "one day are one purchase): `frequency` = purchase days after the first, `recency` = days "
    "from the first to the last, `T` = days from the first to the calibration end, and the "
    "mean net total (orders minus that day's refunds) of the repeat days. Customers whose "
    "first order is after the calibration end are left out."
)


class FitIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"calibration_end": "2026-08-31", "holdout_days": 84}]},
    )

    calibration_end: date | None = Field(
        default=None,
        description="The last day (UTC) the model learns from. Default: today, or "
        "`holdout_days` before today when a holdout is asked for. Not in the future, not "
        "before the first order.",
    )
    holdout_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="Days after the calibration end kept to test the model: the report then "
        "compares predicted and actual repeat purchase days in them, week by week. The "
        "holdout must end by today. 0 or absent: no holdout.",
    )


class FitQueued(BaseModel):
    job_id: UUID = Field(description="Follow the fit at `GET /v1/jobs/{job_id}`.")
    calibration_end: date
    holdout_days: int | None


class Outcome(BaseModel):
    log_likelihood: float = Field(description="The maximised log-likelihood.")
    converged: bool
    message: str = Field(description="The optimiser's message.")
    iterations: int


class BgNbdParams(Outcome):
    r: float = Field(description="Shape of the purchase rates' gamma distribution.")
    alpha: float = Field(description="Scale of the purchase rates' gamma distribution, in days.")
    a: float = Field(description="Dropout probability's beta distribution, first shape.")
    b: float = Field(description="Dropout probability's beta distribution, second shape.")


class GammaGammaParams(Outcome):
    p: float = Field(description="Shape of the spend per purchase.")
    q: float = Field(description="Shape of the customers' spend scale distribution.")
    gamma: float = Field(description="Scale of the customers' spend scale distribution.")
    customers: int = Field(
        description="Repeat customers it was fitted on (those whose repeat days netted more "
        "than 0)."
    )


class TrackingWeek(BaseModel):
    week: int = Field(description="1 is the first 7 days after the calibration end.")
    start: date
    end: date = Field(description="The last day of the week (the last week may be shorter).")
    predicted: float = Field(description="Repeat purchase days the model expected this week.")
    actual: int = Field(description="Repeat purchase days that happened this week.")
    cumulative_predicted: float
    cumulative_actual: int


class Tracking(BaseModel):
    days: int = Field(description="The holdout's length.")
    customers: int = Field(description="The customers tracked: those the model was fitted on.")
    predicted: float = Field(description="Repeat purchase days expected in the holdout.")
    actual: int = Field(description="Repeat purchase days in the holdout.")
    weeks: list[TrackingWeek]


class ClvModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: UUID = Field(description="The fit's job.")
    fitted_at: datetime
    calibration_end: date
    holdout_days: int | None
    time_unit: Literal["day"] = Field(description="The unit of `alpha` and of every duration.")
    customers: int = Field(description="Customers the model was fitted on.")
    repeat_customers: int = Field(description="Of them, those with a repeat purchase.")
    bgnbd: BgNbdParams = Field(description="BG/NBD: purchase days and dropout.")
    gamma_gamma: GammaGammaParams = Field(description="Gamma-Gamma: spend per purchase.")
    tracking: Tracking | None = Field(description="The holdout test; null without a holdout.")
    fit_seconds: float = Field(description="Time the two fits took.")
    scored_at: datetime = Field(description="When every customer's predictions were last set.")
    discount_rate: Decimal = Field(
        description="The workspace's annual discount rate in `predicted_clv_365d`."
    )
    next_refit_at: datetime | None = Field(
        description="When the scheduler refits; null when the workspace refits on request only."
    )


_EXAMPLE = {
    "job_id": "5f0c2a0e-4d7e-4b8a-9a61-0f3c1d2b7e11",
    "fitted_at": "2026-11-24T03:00:02Z",
    "calibration_end": "2026-08-31",
    "holdout_days": 84,
    "time_unit": "day",
    "customers": 23570,
    "repeat_customers": 9012,
    "bgnbd": {
        "r": 0.243,
        "alpha": 30.9,
        "a": 0.793,
        "b": 2.426,
        "log_likelihood": -96341.2,
        "converged": True,
        "message": "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
        "iterations": 31,
    },
    "gamma_gamma": {
        "p": 6.25,
        "q": 3.74,
        "gamma": 15.44,
        "customers": 8950,
        "log_likelihood": -45120.7,
        "converged": True,
        "message": "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH",
        "iterations": 22,
    },
    "tracking": {
        "days": 84,
        "customers": 23570,
        "predicted": 4120.5,
        "actual": 4033,
        "weeks": [
            {
                "week": 1,
                "start": "2026-09-01",
                "end": "2026-09-07",
                "predicted": 351.2,
                "actual": 340,
                "cumulative_predicted": 351.2,
                "cumulative_actual": 340,
            }
        ],
    },
    "fit_seconds": 1.9,
    "scored_at": "2026-11-24T03:00:02Z",
    "discount_rate": "0.1",
    "next_refit_at": "2026-12-01T03:00:00Z",
}


@router.post(
    "/fit",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Fit the workspace's CLV model",
    description="Queues a fit of BG/NBD (purchase days and the chance a customer is still "
    "active) and Gamma-Gamma (spend per purchase) by maximum likelihood, as a job. "
    f"{_SEEN}\n\nWhen both models converge the new model replaces the active one and every "
    "customer's predictions (`p_alive`, `expected_orders_90d`, `expected_orders_365d`, "
    "`expected_order_value`, `predicted_clv_365d`) are recomputed, re-classifying what reads "
    "them (history reason `model_refit`). A fit that fails or does not converge leaves the "
    "active model in place; its job says why.\n\n"
    "422 when the calibration end is in the future or before the first order, the holdout "
    "is negative or would end after today, or fewer than 30 customers have a repeat purchase "
    "by the calibration end.",
    responses=problems(422),
)
async def fit_model(
    body: FitIn,
    conn: Transaction,
    now: Now,
    principal: Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))],
    idempotency: Idempotent,
) -> FitQueued:
    await idempotency.claim(conn, principal.workspace_id)
    queued = await service.request_fit(
        conn, principal.workspace_id, body.calibration_end, body.holdout_days, now
    )
    fit = FitQueued(
        job_id=queued.job_id,
        calibration_end=queued.calibration_end,
        holdout_days=queued.holdout_days,
    )
    return await idempotency.keep(fit)


@router.get(
    "",
    summary="The active CLV model",
    description="The parameters of the active model (durations in days), the customers it "
    "was fitted on, the log-likelihoods and convergence of both fits and, when the fit kept a "
    "holdout, the tracking curve: predicted against actual repeat purchase days in the "
    f"holdout, week by week. {_SEEN}",
    responses={**problems(404), 200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def get_model(
    conn: Transaction,
    principal: Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))],
) -> ClvModel:
    row = await service.active_model(conn, principal.workspace_id)
    next_refit_at = None
    if row.clv_refit_days:
        next_refit_at = row.fit_requested_at + timedelta(days=row.clv_refit_days)
    return ClvModel.model_validate(
        {
            **row.report,
            "job_id": row.job_id,
            "fitted_at": row.fitted_at,
            "calibration_end": row.calibration_end,
            "holdout_days": row.holdout_days,
            "scored_at": row.scored_at,
            "discount_rate": row.clv_discount_rate,
            "next_refit_at": next_refit_at,
        }
    )
