from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FitQueued")


@_attrs_define
class FitQueued:
    """
    Attributes:
        job_id (UUID): Follow the fit at `GET /v1/jobs/{job_id}`.
        calibration_end (datetime.date):
        holdout_days (int | None):
    """

    job_id: UUID
    calibration_end: datetime.date
    holdout_days: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_id = str(self.job_id)

        calibration_end = self.calibration_end.isoformat()

        holdout_days: int | None
        holdout_days = self.holdout_days

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "job_id": job_id,
                "calibration_end": calibration_end,
                "holdout_days": holdout_days,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        job_id = UUID(d.pop("job_id"))

        calibration_end = datetime.date.fromisoformat(d.pop("calibration_end"))

        def _parse_holdout_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        holdout_days = _parse_holdout_days(d.pop("holdout_days"))

        fit_queued = cls(
            job_id=job_id,
            calibration_end=calibration_end,
            holdout_days=holdout_days,
        )

        fit_queued.additional_properties = d
        return fit_queued

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
