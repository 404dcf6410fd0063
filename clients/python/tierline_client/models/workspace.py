from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Workspace")


@_attrs_define
class Workspace:
    """
    Attributes:
        id (UUID):
        slug (str):
        name (str):
        base_currency (str):
        clv_discount_rate (float | str): Annual rate discounting the `predicted_clv_365d` metric: each month's expected
            purchases are divided by (1 + rate)^(month/12). 0 means undiscounted.
        clv_refit_days (int): Days between scheduled refits of the CLV model once one has been fitted; 0 refits only on
            request.
        created_at (datetime.datetime):
    """

    id: UUID
    slug: str
    name: str
    base_currency: str
    clv_discount_rate: float | str
    clv_refit_days: int
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        slug = self.slug

        name = self.name

        base_currency = self.base_currency

        clv_discount_rate: float | str
        clv_discount_rate = self.clv_discount_rate

        clv_refit_days = self.clv_refit_days

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "slug": slug,
                "name": name,
                "base_currency": base_currency,
                "clv_discount_rate": clv_discount_rate,
                "clv_refit_days": clv_refit_days,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        slug = d.pop("slug")

        name = d.pop("name")

        base_currency = d.pop("base_currency")

        def _parse_clv_discount_rate(data: object) -> float | str:
            return cast(float | str, data)

        clv_discount_rate = _parse_clv_discount_rate(d.pop("clv_discount_rate"))

        clv_refit_days = d.pop("clv_refit_days")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        workspace = cls(
            id=id,
            slug=slug,
            name=name,
            base_currency=base_currency,
            clv_discount_rate=clv_discount_rate,
            clv_refit_days=clv_refit_days,
            created_at=created_at,
        )

        workspace.additional_properties = d
        return workspace

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
