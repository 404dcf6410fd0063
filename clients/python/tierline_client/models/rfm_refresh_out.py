from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.cut_points import CutPoints


T = TypeVar("T", bound="RfmRefreshOut")


@_attrs_define
class RfmRefreshOut:
    """
    Attributes:
        refreshed_at (datetime.datetime):
        customers (int): How many customers were scored (those with an order).
        cut_points (CutPoints):
    """

    refreshed_at: datetime.datetime
    customers: int
    cut_points: CutPoints
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        refreshed_at = self.refreshed_at.isoformat()

        customers = self.customers

        cut_points = self.cut_points.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "refreshed_at": refreshed_at,
                "customers": customers,
                "cut_points": cut_points,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cut_points import CutPoints  # noqa: PLC0415

        d = dict(src_dict)
        refreshed_at = datetime.datetime.fromisoformat(d.pop("refreshed_at"))

        customers = d.pop("customers")

        cut_points = CutPoints.from_dict(d.pop("cut_points"))

        rfm_refresh_out = cls(
            refreshed_at=refreshed_at,
            customers=customers,
            cut_points=cut_points,
        )

        rfm_refresh_out.additional_properties = d
        return rfm_refresh_out

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
