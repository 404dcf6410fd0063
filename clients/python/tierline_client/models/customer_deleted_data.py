from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="CustomerDeletedData")


@_attrs_define
class CustomerDeletedData:
    """
    Attributes:
        customer_id (str):
        deleted_at (datetime.datetime):
        sequence (int): As in `customer.tier_changed`.
    """

    customer_id: str
    deleted_at: datetime.datetime
    sequence: int

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        deleted_at = self.deleted_at.isoformat()

        sequence = self.sequence

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "customer_id": customer_id,
                "deleted_at": deleted_at,
                "sequence": sequence,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        deleted_at = datetime.datetime.fromisoformat(d.pop("deleted_at"))

        sequence = d.pop("sequence")

        customer_deleted_data = cls(
            customer_id=customer_id,
            deleted_at=deleted_at,
            sequence=sequence,
        )

        return customer_deleted_data
