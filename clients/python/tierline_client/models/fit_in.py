from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="FitIn")


@_attrs_define
class FitIn:
    """
    Attributes:
        calibration_end (datetime.date | None | Unset): The last day (UTC) the model learns from. Default: today, or
            `holdout_days` before today when a holdout is asked for. Not in the future, not before the first order.
        holdout_days (int | None | Unset): Days after the calibration end kept to test the model: the report then
            compares predicted and actual repeat purchase days in them, week by week. The holdout must end by today. 0 or
            absent: no holdout.
    """

    calibration_end: datetime.date | None | Unset = UNSET
    holdout_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        calibration_end: None | str | Unset
        if isinstance(self.calibration_end, Unset):
            calibration_end = UNSET
        elif isinstance(self.calibration_end, datetime.date):
            calibration_end = self.calibration_end.isoformat()
        else:
            calibration_end = self.calibration_end

        holdout_days: int | None | Unset
        if isinstance(self.holdout_days, Unset):
            holdout_days = UNSET
        else:
            holdout_days = self.holdout_days

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if calibration_end is not UNSET:
            field_dict["calibration_end"] = calibration_end
        if holdout_days is not UNSET:
            field_dict["holdout_days"] = holdout_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_calibration_end(data: object) -> datetime.date | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                calibration_end_type_0 = datetime.date.fromisoformat(data)

                return calibration_end_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None | Unset, data)

        calibration_end = _parse_calibration_end(d.pop("calibration_end", UNSET))

        def _parse_holdout_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        holdout_days = _parse_holdout_days(d.pop("holdout_days", UNSET))

        fit_in = cls(
            calibration_end=calibration_end,
            holdout_days=holdout_days,
        )

        return fit_in
