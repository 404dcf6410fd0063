from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SegmentChangedData")


@_attrs_define
class SegmentChangedData:
    """
    Attributes:
        customer_id (str):
        segment (str):
        segment_version (int):
        reason (str): What made the customer enter or leave, as for tiers.
        changed_at (datetime.datetime):
        sequence (int): As in `customer.tier_changed`.
    """

    customer_id: str
    segment: str
    segment_version: int
    reason: str
    changed_at: datetime.datetime
    sequence: int

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        segment = self.segment

        segment_version = self.segment_version

        reason = self.reason

        changed_at = self.changed_at.isoformat()

        sequence = self.sequence

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "customer_id": customer_id,
                "segment": segment,
                "segment_version": segment_version,
                "reason": reason,
                "changed_at": changed_at,
                "sequence": sequence,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        segment = d.pop("segment")

        segment_version = d.pop("segment_version")

        reason = d.pop("reason")

        changed_at = datetime.datetime.fromisoformat(d.pop("changed_at"))

        sequence = d.pop("sequence")

        segment_changed_data = cls(
            customer_id=customer_id,
            segment=segment,
            segment_version=segment_version,
            reason=reason,
            changed_at=changed_at,
            sequence=sequence,
        )

        return segment_changed_data
