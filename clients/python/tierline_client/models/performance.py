from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_performance import TierPerformance


T = TypeVar("T", bound="Performance")


@_attrs_define
class Performance:
    """
    Attributes:
        scheme (str): The scheme's key.
        from_ (datetime.date): First day of the period (UTC), inclusive.
        to (datetime.date): Last day of the period (UTC), inclusive.
        currency (str): The currency of the money figures.
        tiers (list[TierPerformance]): The current version's tiers in its order, each even when nobody held it at the
            start; then any other tier held at the start, by key; last the `null` row.
    """

    scheme: str
    from_: datetime.date
    to: datetime.date
    currency: str
    tiers: list[TierPerformance]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scheme = self.scheme

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        currency = self.currency

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scheme": scheme,
                "from": from_,
                "to": to,
                "currency": currency,
                "tiers": tiers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_performance import TierPerformance  # noqa: PLC0415

        d = dict(src_dict)
        scheme = d.pop("scheme")

        from_ = datetime.date.fromisoformat(d.pop("from"))

        to = datetime.date.fromisoformat(d.pop("to"))

        currency = d.pop("currency")

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = TierPerformance.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        performance = cls(
            scheme=scheme,
            from_=from_,
            to=to,
            currency=currency,
            tiers=tiers,
        )

        performance.additional_properties = d
        return performance

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
