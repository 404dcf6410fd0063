from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.segment_change_change import SegmentChangeChange
from ..models.segment_change_reason import SegmentChangeReason

if TYPE_CHECKING:
    from ..models.segment_change_cause import SegmentChangeCause


T = TypeVar("T", bound="SegmentChange")


@_attrs_define
class SegmentChange:
    """
    Attributes:
        segment (str):
        version (int): The segment version that decided it.
        change (SegmentChangeChange):
        changed_at (datetime.datetime):
        reason (SegmentChangeReason): `event`, `traits_changed`, `review` (time passed), `rule_change` (a new segment
            version, or a scheme the condition reads changed), `metric_ready` (a backfill the condition reads finished),
            `rfm_refresh` (an RFM refresh changed the scores), `model_refit` (a new CLV model changed the predictions),
            `prediction_refresh` (the CLV predictions were recomputed as time passed or the discount rate changed) or
            `import`.
        cause (SegmentChangeCause):
    """

    segment: str
    version: int
    change: SegmentChangeChange
    changed_at: datetime.datetime
    reason: SegmentChangeReason
    cause: SegmentChangeCause
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        segment = self.segment

        version = self.version

        change = self.change.value

        changed_at = self.changed_at.isoformat()

        reason = self.reason.value

        cause = self.cause.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "segment": segment,
                "version": version,
                "change": change,
                "changed_at": changed_at,
                "reason": reason,
                "cause": cause,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.segment_change_cause import SegmentChangeCause  # noqa: PLC0415

        d = dict(src_dict)
        segment = d.pop("segment")

        version = d.pop("version")

        change = SegmentChangeChange(d.pop("change"))

        changed_at = datetime.datetime.fromisoformat(d.pop("changed_at"))

        reason = SegmentChangeReason(d.pop("reason"))

        cause = SegmentChangeCause.from_dict(d.pop("cause"))

        segment_change = cls(
            segment=segment,
            version=version,
            change=change,
            changed_at=changed_at,
            reason=reason,
            cause=cause,
        )

        segment_change.additional_properties = d
        return segment_change

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
