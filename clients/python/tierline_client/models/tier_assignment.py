from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.pending_downgrade import PendingDowngrade
    from ..models.tier_override import TierOverride


T = TypeVar("T", bound="TierAssignment")


@_attrs_define
class TierAssignment:
    """
    Attributes:
        tier (str):
        version (int): The scheme version that assigned it.
        since (datetime.datetime):
        pending_downgrade (None | PendingDowngrade):
        override (None | TierOverride | Unset): A tier pinned by hand (`PUT .../tiers/{scheme}/override`): the rules do
            not move the customer in this scheme until it expires or is removed.
    """

    tier: str
    version: int
    since: datetime.datetime
    pending_downgrade: None | PendingDowngrade
    override: None | TierOverride | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pending_downgrade import PendingDowngrade  # noqa: PLC0415
        from ..models.tier_override import TierOverride  # noqa: PLC0415

        tier = self.tier

        version = self.version

        since = self.since.isoformat()

        pending_downgrade: dict[str, Any] | None
        if isinstance(self.pending_downgrade, PendingDowngrade):
            pending_downgrade = self.pending_downgrade.to_dict()
        else:
            pending_downgrade = self.pending_downgrade

        override: dict[str, Any] | None | Unset
        if isinstance(self.override, Unset):
            override = UNSET
        elif isinstance(self.override, TierOverride):
            override = self.override.to_dict()
        else:
            override = self.override

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tier": tier,
                "version": version,
                "since": since,
                "pending_downgrade": pending_downgrade,
            }
        )
        if override is not UNSET:
            field_dict["override"] = override

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pending_downgrade import PendingDowngrade  # noqa: PLC0415
        from ..models.tier_override import TierOverride  # noqa: PLC0415

        d = dict(src_dict)
        tier = d.pop("tier")

        version = d.pop("version")

        since = datetime.datetime.fromisoformat(d.pop("since"))

        def _parse_pending_downgrade(data: object) -> None | PendingDowngrade:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pending_downgrade_type_0 = PendingDowngrade.from_dict(data)

                return pending_downgrade_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PendingDowngrade, data)

        pending_downgrade = _parse_pending_downgrade(d.pop("pending_downgrade"))

        def _parse_override(data: object) -> None | TierOverride | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                override_type_0 = TierOverride.from_dict(data)

                return override_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TierOverride | Unset, data)

        override = _parse_override(d.pop("override", UNSET))

        tier_assignment = cls(
            tier=tier,
            version=version,
            since=since,
            pending_downgrade=pending_downgrade,
            override=override,
        )

        tier_assignment.additional_properties = d
        return tier_assignment

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
