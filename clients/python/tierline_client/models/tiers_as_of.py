from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tiers_as_of_tiers import TiersAsOfTiers


T = TypeVar("T", bound="TiersAsOf")


@_attrs_define
class TiersAsOf:
    """
    Attributes:
        customer_id (str):
        as_of (datetime.datetime): The moment described: `as_of`, or now.
        tiers (TiersAsOfTiers): Tier per scheme. Now: every active scheme the customer has a tier in, as the profile
            shows it. At a past `as_of`: the latest change at or before it in the tier history, per scheme; `version` and
            `since` are those of that change and `pending_downgrade` and `override` are always null (the history keeps
            changes, not held downgrades or overrides). A scheme the customer had no tier in at that moment is left out.
    """

    customer_id: str
    as_of: datetime.datetime
    tiers: TiersAsOfTiers
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        as_of = self.as_of.isoformat()

        tiers = self.tiers.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "customer_id": customer_id,
                "as_of": as_of,
                "tiers": tiers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tiers_as_of_tiers import TiersAsOfTiers  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        as_of = datetime.datetime.fromisoformat(d.pop("as_of"))

        tiers = TiersAsOfTiers.from_dict(d.pop("tiers"))

        tiers_as_of = cls(
            customer_id=customer_id,
            as_of=as_of,
            tiers=tiers,
        )

        tiers_as_of.additional_properties = d
        return tiers_as_of

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
