from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SegmentPeriod")


@_attrs_define
class SegmentPeriod:
    """
    Attributes:
        start (datetime.date): First day (UTC) of the period, inclusive.
        end (datetime.date): Last day (UTC) of the period, inclusive.
        entered (int): Entries into the segment in the period.
        exited (int): Exits from the segment in the period.
        size (int): Members at the end of the period's last day (or now, for a period that ends today).
    """

    start: datetime.date
    end: datetime.date
    entered: int
    exited: int
    size: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        start = self.start.isoformat()

        end = self.end.isoformat()

        entered = self.entered

        exited = self.exited

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "start": start,
                "end": end,
                "entered": entered,
                "exited": exited,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        start = datetime.date.fromisoformat(d.pop("start"))

        end = datetime.date.fromisoformat(d.pop("end"))

        entered = d.pop("entered")

        exited = d.pop("exited")

        size = d.pop("size")

        segment_period = cls(
            start=start,
            end=end,
            entered=entered,
            exited=exited,
            size=size,
        )

        segment_period.additional_properties = d
        return segment_period

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
