from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.tier_changed_data import TierChangedData


T = TypeVar("T", bound="TierChanged")


@_attrs_define
class TierChanged:
    """A customer got a tier in a scheme, or moved to another.

    Attributes:
        type_ (Literal['customer.tier_changed']):
        timestamp (datetime.datetime): When the message was created.
        data (TierChangedData):
    """

    type_: Literal["customer.tier_changed"]
    timestamp: datetime.datetime
    data: TierChangedData

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
        from ..models.tier_changed_data import TierChangedData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["customer.tier_changed"], d.pop("type"))
        if type_ != "customer.tier_changed":
            raise ValueError(f"type must match const 'customer.tier_changed', got '{type_}'")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        data = TierChangedData.from_dict(d.pop("data"))

        tier_changed = cls(
            type_=type_,
            timestamp=timestamp,
            data=data,
        )

        return tier_changed
