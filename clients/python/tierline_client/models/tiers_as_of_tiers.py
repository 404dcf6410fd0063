from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_assignment import TierAssignment


T = TypeVar("T", bound="TiersAsOfTiers")


@_attrs_define
class TiersAsOfTiers:
    """Tier per scheme. Now: every active scheme the customer has a tier in, as the profile shows it. At a past `as_of`:
    the latest change at or before it in the tier history, per scheme; `version` and `since` are those of that change
    and `pending_downgrade` and `override` are always null (the history keeps changes, not held downgrades or
    overrides). A scheme the customer had no tier in at that moment is left out.

    """

    additional_properties: dict[str, TierAssignment] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop.to_dict()

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_assignment import TierAssignment  # noqa: PLC0415

        d = dict(src_dict)
        tiers_as_of_tiers = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = TierAssignment.from_dict(prop_dict)

            additional_properties[prop_name] = additional_property

        tiers_as_of_tiers.additional_properties = additional_properties
        return tiers_as_of_tiers

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> TierAssignment:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: TierAssignment) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
