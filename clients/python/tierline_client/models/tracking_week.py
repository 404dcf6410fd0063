from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TrackingWeek")


@_attrs_define
class TrackingWeek:
    """
    Attributes:
        week (int): 1 is the first 7 days after the calibration end.
        start (datetime.date):
        end (datetime.date): The last day of the week (the last week may be shorter).
        predicted (float): Repeat purchase days the model expected this week.
        actual (int): Repeat purchase days that happened this week.
        cumulative_predicted (float):
        cumulative_actual (int):
    """

    week: int
    start: datetime.date
    end: datetime.date
    predicted: float
    actual: int
    cumulative_predicted: float
    cumulative_actual: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        week = self.week

        start = self.start.isoformat()

        end = self.end.isoformat()

        predicted = self.predicted

        actual = self.actual

        cumulative_predicted = self.cumulative_predicted

        cumulative_actual = self.cumulative_actual

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "week": week,
                "start": start,
                "end": end,
                "predicted": predicted,
                "actual": actual,
                "cumulative_predicted": cumulative_predicted,
                "cumulative_actual": cumulative_actual,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        week = d.pop("week")

        start = datetime.date.fromisoformat(d.pop("start"))

        end = datetime.date.fromisoformat(d.pop("end"))

        predicted = d.pop("predicted")

        actual = d.pop("actual")

        cumulative_predicted = d.pop("cumulative_predicted")

        cumulative_actual = d.pop("cumulative_actual")

        tracking_week = cls(
            week=week,
            start=start,
            end=end,
            predicted=predicted,
            actual=actual,
            cumulative_predicted=cumulative_predicted,
            cumulative_actual=cumulative_actual,
        )

        tracking_week.additional_properties = d
        return tracking_week

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
