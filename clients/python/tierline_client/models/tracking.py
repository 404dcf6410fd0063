from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tracking_week import TrackingWeek


T = TypeVar("T", bound="Tracking")


@_attrs_define
class Tracking:
    """
    Attributes:
        days (int): The holdout's length.
        customers (int): The customers tracked: those the model was fitted on.
        predicted (float): Repeat purchase days expected in the holdout.
        actual (int): Repeat purchase days in the holdout.
        weeks (list[TrackingWeek]):
    """

    days: int
    customers: int
    predicted: float
    actual: int
    weeks: list[TrackingWeek]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        days = self.days

        customers = self.customers

        predicted = self.predicted

        actual = self.actual

        weeks = []
        for weeks_item_data in self.weeks:
            weeks_item = weeks_item_data.to_dict()
            weeks.append(weeks_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "days": days,
                "customers": customers,
                "predicted": predicted,
                "actual": actual,
                "weeks": weeks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tracking_week import TrackingWeek  # noqa: PLC0415

        d = dict(src_dict)
        days = d.pop("days")

        customers = d.pop("customers")

        predicted = d.pop("predicted")

        actual = d.pop("actual")

        weeks = []
        _weeks = d.pop("weeks")
        for weeks_item_data in _weeks:
            weeks_item = TrackingWeek.from_dict(weeks_item_data)

            weeks.append(weeks_item)

        tracking = cls(
            days=days,
            customers=customers,
            predicted=predicted,
            actual=actual,
            weeks=weeks,
        )

        tracking.additional_properties = d
        return tracking

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
