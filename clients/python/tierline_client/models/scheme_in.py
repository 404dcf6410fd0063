from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tier_in import TierIn


T = TypeVar("T", bound="SchemeIn")


@_attrs_define
class SchemeIn:
    """
    Attributes:
        name (str):
        tiers (list[TierIn]): Highest first: a customer gets the first tier whose condition holds.
        default_tier (str): The tier of customers no condition holds for.
        description (None | str | Unset):
        downgrade_grace_days (int | Unset): A customer who stops qualifying keeps the higher tier this many whole UTC
            days (counted from the day it stopped) before moving down. Upgrades are immediate. Default: 0.
        min_days_in_tier (int | Unset): A downgrade also waits until the customer has held the tier this many whole UTC
            days. Default: 0.
        grace_on_change (bool | Unset): `false`: downgrades caused by saving this version apply at once instead of
            waiting out the grace period and tenure. Default: True.
        notify (bool | Unset): `false`: the tier changes (and segment entries and exits) that applying this version
            causes send no webhooks. Not part of the stored definition. Default: True.
    """

    name: str
    tiers: list[TierIn]
    default_tier: str
    description: None | str | Unset = UNSET
    downgrade_grace_days: int | Unset = 0
    min_days_in_tier: int | Unset = 0
    grace_on_change: bool | Unset = True
    notify: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        default_tier = self.default_tier

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        downgrade_grace_days = self.downgrade_grace_days

        min_days_in_tier = self.min_days_in_tier

        grace_on_change = self.grace_on_change

        notify = self.notify

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "tiers": tiers,
                "default_tier": default_tier,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if downgrade_grace_days is not UNSET:
            field_dict["downgrade_grace_days"] = downgrade_grace_days
        if min_days_in_tier is not UNSET:
            field_dict["min_days_in_tier"] = min_days_in_tier
        if grace_on_change is not UNSET:
            field_dict["grace_on_change"] = grace_on_change
        if notify is not UNSET:
            field_dict["notify"] = notify

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_in import TierIn  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = TierIn.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        default_tier = d.pop("default_tier")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        downgrade_grace_days = d.pop("downgrade_grace_days", UNSET)

        min_days_in_tier = d.pop("min_days_in_tier", UNSET)

        grace_on_change = d.pop("grace_on_change", UNSET)

        notify = d.pop("notify", UNSET)

        scheme_in = cls(
            name=name,
            tiers=tiers,
            default_tier=default_tier,
            description=description,
            downgrade_grace_days=downgrade_grace_days,
            min_days_in_tier=min_days_in_tier,
            grace_on_change=grace_on_change,
            notify=notify,
        )

        return scheme_in
