from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.segment_changed_data import SegmentChangedData


T = TypeVar("T", bound="SegmentExited")


@_attrs_define
class SegmentExited:
    """A customer left a saved segment.

    Attributes:
        type_ (Literal['customer.segment_exited']):
        timestamp (datetime.datetime):
        data (SegmentChangedData):
    """

    type_: Literal["customer.segment_exited"]
    timestamp: datetime.datetime
    data: SegmentChangedData

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        timestamp = self.timestamp.isoformat()

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "timestamp": timestamp,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.segment_changed_data import SegmentChangedData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["customer.segment_exited"], d.pop("type"))
        if type_ != "customer.segment_exited":
            raise ValueError(f"type must match const 'customer.segment_exited', got '{type_}'")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        data = SegmentChangedData.from_dict(d.pop("data"))

        segment_exited = cls(
            type_=type_,
            timestamp=timestamp,
            data=data,
        )

        return segment_exited
