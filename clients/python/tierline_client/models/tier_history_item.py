from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.tier_history_item_reason import TierHistoryItemReason

if TYPE_CHECKING:
    from ..models.tier_history_item_cause import TierHistoryItemCause


T = TypeVar("T", bound="TierHistoryItem")


@_attrs_define
class TierHistoryItem:
    """
    Attributes:
        scheme (str):
        version (int):
        from_tier (None | str): null for the customer's first tier in the scheme.
        to_tier (str):
        reason (TierHistoryItemReason):
        changed_at (datetime.datetime):
        cause (TierHistoryItemCause): What caused it: `event_id`, or the `scheme` and `version` of a rule change, or the
            `job_id` of an import.
    """

    scheme: str
    version: int
    from_tier: None | str
    to_tier: str
    reason: TierHistoryItemReason
    changed_at: datetime.datetime
    cause: TierHistoryItemCause
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scheme = self.scheme

        version = self.version

        from_tier: None | str
        from_tier = self.from_tier

        to_tier = self.to_tier

        reason = self.reason.value

        changed_at = self.changed_at.isoformat()

        cause = self.cause.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scheme": scheme,
                "version": version,
                "from_tier": from_tier,
                "to_tier": to_tier,
                "reason": reason,
                "changed_at": changed_at,
                "cause": cause,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_history_item_cause import TierHistoryItemCause  # noqa: PLC0415

        d = dict(src_dict)
        scheme = d.pop("scheme")

        version = d.pop("version")

        def _parse_from_tier(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        from_tier = _parse_from_tier(d.pop("from_tier"))

        to_tier = d.pop("to_tier")

        reason = TierHistoryItemReason(d.pop("reason"))

        changed_at = datetime.datetime.fromisoformat(d.pop("changed_at"))

        cause = TierHistoryItemCause.from_dict(d.pop("cause"))

        tier_history_item = cls(
            scheme=scheme,
            version=version,
            from_tier=from_tier,
            to_tier=to_tier,
            reason=reason,
            changed_at=changed_at,
            cause=cause,
        )

        tier_history_item.additional_properties = d
        return tier_history_item

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
