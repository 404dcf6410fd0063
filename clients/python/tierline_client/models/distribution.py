from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_count import TierCount


T = TypeVar("T", bound="Distribution")


@_attrs_define
class Distribution:
    """
    Attributes:
        scheme (str): The scheme's key.
        as_of (datetime.datetime): The moment described: `as_of`, or now.
        total (int): Customers holding any tier of the scheme.
        tiers (list[TierCount]): The current version's tiers in its order (highest first, the default tier last), each
            even when nobody holds it; then any other tier someone still holds (one a newer version dropped), by key.
    """

    scheme: str
    as_of: datetime.datetime
    total: int
    tiers: list[TierCount]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scheme = self.scheme

        as_of = self.as_of.isoformat()

        total = self.total

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scheme": scheme,
                "as_of": as_of,
                "total": total,
                "tiers": tiers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_count import TierCount  # noqa: PLC0415

        d = dict(src_dict)
        scheme = d.pop("scheme")

        as_of = datetime.datetime.fromisoformat(d.pop("as_of"))

        total = d.pop("total")

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = TierCount.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        distribution = cls(
            scheme=scheme,
            as_of=as_of,
            total=total,
            tiers=tiers,
        )

        distribution.additional_properties = d
        return distribution

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
