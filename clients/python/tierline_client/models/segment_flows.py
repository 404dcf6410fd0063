from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.segment_flows_interval import SegmentFlowsInterval

if TYPE_CHECKING:
    from ..models.segment_period import SegmentPeriod


T = TypeVar("T", bound="SegmentFlows")


@_attrs_define
class SegmentFlows:
    """
    Attributes:
        segment (str): The segment's key.
        from_ (datetime.date): First day of the period (UTC), inclusive.
        to (datetime.date): Last day of the period (UTC), inclusive.
        interval (SegmentFlowsInterval): The length of each period.
        size (int): The segment's members now.
        periods (list[SegmentPeriod]): One row per calendar day, ISO week (Monday first) or calendar month touching the
            period, oldest first, cut to `from` and `to`; every one even without a move.
    """

    segment: str
    from_: datetime.date
    to: datetime.date
    interval: SegmentFlowsInterval
    size: int
    periods: list[SegmentPeriod]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        segment = self.segment

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        interval = self.interval.value

        size = self.size

        periods = []
        for periods_item_data in self.periods:
            periods_item = periods_item_data.to_dict()
            periods.append(periods_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "segment": segment,
                "from": from_,
                "to": to,
                "interval": interval,
                "size": size,
                "periods": periods,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.segment_period import SegmentPeriod  # noqa: PLC0415

        d = dict(src_dict)
        segment = d.pop("segment")

        from_ = datetime.date.fromisoformat(d.pop("from"))

        to = datetime.date.fromisoformat(d.pop("to"))

        interval = SegmentFlowsInterval(d.pop("interval"))

        size = d.pop("size")

        periods = []
        _periods = d.pop("periods")
        for periods_item_data in _periods:
            periods_item = SegmentPeriod.from_dict(periods_item_data)

            periods.append(periods_item)

        segment_flows = cls(
            segment=segment,
            from_=from_,
            to=to,
            interval=interval,
            size=size,
            periods=periods,
        )

        segment_flows.additional_properties = d
        return segment_flows

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
