from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.bg_nbd_params import BgNbdParams
    from ..models.gamma_gamma_params import GammaGammaParams
    from ..models.tracking import Tracking


T = TypeVar("T", bound="ClvModel")


@_attrs_define
class ClvModel:
    """
    Attributes:
        job_id (UUID): The fit's job.
        fitted_at (datetime.datetime):
        calibration_end (datetime.date):
        holdout_days (int | None):
        time_unit (Literal['day']): The unit of `alpha` and of every duration.
        customers (int): Customers the model was fitted on.
        repeat_customers (int): Of them, those with a repeat purchase.
        bgnbd (BgNbdParams):
        gamma_gamma (GammaGammaParams):
        tracking (None | Tracking): The holdout test; null without a holdout.
        fit_seconds (float): Time the two fits took.
        scored_at (datetime.datetime): When every customer's predictions were last set.
        discount_rate (float | str): The workspace's annual discount rate in `predicted_clv_365d`.
        next_refit_at (datetime.datetime | None): When the scheduler refits; null when the workspace refits on request
            only.
    """

    job_id: UUID
    fitted_at: datetime.datetime
    calibration_end: datetime.date
    holdout_days: int | None
    time_unit: Literal["day"]
    customers: int
    repeat_customers: int
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    tracking: None | Tracking
    fit_seconds: float
    scored_at: datetime.datetime
    discount_rate: float | str
    next_refit_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.tracking import Tracking  # noqa: PLC0415

        job_id = str(self.job_id)

        fitted_at = self.fitted_at.isoformat()

        calibration_end = self.calibration_end.isoformat()

        holdout_days: int | None
        holdout_days = self.holdout_days

        time_unit = self.time_unit

        customers = self.customers

        repeat_customers = self.repeat_customers

        bgnbd = self.bgnbd.to_dict()

        gamma_gamma = self.gamma_gamma.to_dict()

        tracking: dict[str, Any] | None
        if isinstance(self.tracking, Tracking):
            tracking = self.tracking.to_dict()
        else:
            tracking = self.tracking

        fit_seconds = self.fit_seconds

        scored_at = self.scored_at.isoformat()

        discount_rate: float | str
        discount_rate = self.discount_rate

        next_refit_at: None | str
        if isinstance(self.next_refit_at, datetime.datetime):
            next_refit_at = self.next_refit_at.isoformat()
        else:
            next_refit_at = self.next_refit_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "job_id": job_id,
                "fitted_at": fitted_at,
                "calibration_end": calibration_end,
                "holdout_days": holdout_days,
                "time_unit": time_unit,
                "customers": customers,
                "repeat_customers": repeat_customers,
                "bgnbd": bgnbd,
                "gamma_gamma": gamma_gamma,
                "tracking": tracking,
                "fit_seconds": fit_seconds,
                "scored_at": scored_at,
                "discount_rate": discount_rate,
                "next_refit_at": next_refit_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.bg_nbd_params import BgNbdParams  # noqa: PLC0415
        from ..models.gamma_gamma_params import GammaGammaParams  # noqa: PLC0415
        from ..models.tracking import Tracking  # noqa: PLC0415

        d = dict(src_dict)
        job_id = UUID(d.pop("job_id"))

        fitted_at = datetime.datetime.fromisoformat(d.pop("fitted_at"))

        calibration_end = datetime.date.fromisoformat(d.pop("calibration_end"))

        def _parse_holdout_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        holdout_days = _parse_holdout_days(d.pop("holdout_days"))

        time_unit = cast(Literal["day"], d.pop("time_unit"))
        if time_unit != "day":
            raise ValueError(f"time_unit must match const 'day', got '{time_unit}'")

        customers = d.pop("customers")

        repeat_customers = d.pop("repeat_customers")

        bgnbd = BgNbdParams.from_dict(d.pop("bgnbd"))

        gamma_gamma = GammaGammaParams.from_dict(d.pop("gamma_gamma"))

        def _parse_tracking(data: object) -> None | Tracking:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tracking_type_0 = Tracking.from_dict(data)

                return tracking_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Tracking, data)

        tracking = _parse_tracking(d.pop("tracking"))

        fit_seconds = d.pop("fit_seconds")

        scored_at = datetime.datetime.fromisoformat(d.pop("scored_at"))

        def _parse_discount_rate(data: object) -> float | str:
            return cast(float | str, data)

        discount_rate = _parse_discount_rate(d.pop("discount_rate"))

        def _parse_next_refit_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_refit_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_refit_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_refit_at = _parse_next_refit_at(d.pop("next_refit_at"))

        clv_model = cls(
            job_id=job_id,
            fitted_at=fitted_at,
            calibration_end=calibration_end,
            holdout_days=holdout_days,
            time_unit=time_unit,
            customers=customers,
            repeat_customers=repeat_customers,
            bgnbd=bgnbd,
            gamma_gamma=gamma_gamma,
            tracking=tracking,
            fit_seconds=fit_seconds,
            scored_at=scored_at,
            discount_rate=discount_rate,
            next_refit_at=next_refit_at,
        )

        clv_model.additional_properties = d
        return clv_model

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
