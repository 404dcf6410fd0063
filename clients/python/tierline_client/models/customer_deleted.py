from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.customer_deleted_data import CustomerDeletedData


T = TypeVar("T", bound="CustomerDeleted")


@_attrs_define
class CustomerDeleted:
    """A customer was erased: erase what you keep about them too.

    Attributes:
        type_ (Literal['customer.deleted']):
        timestamp (datetime.datetime):
        data (CustomerDeletedData):
    """

    type_: Literal["customer.deleted"]
    timestamp: datetime.datetime
    data: CustomerDeletedData

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
        from ..models.customer_deleted_data import CustomerDeletedData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["customer.deleted"], d.pop("type"))
        if type_ != "customer.deleted":
            raise ValueError(f"type must match const 'customer.deleted', got '{type_}'")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        data = CustomerDeletedData.from_dict(d.pop("data"))

        customer_deleted = cls(
            type_=type_,
            timestamp=timestamp,
            data=data,
        )

        return customer_deleted
