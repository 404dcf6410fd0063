from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.cut_point import CutPoint


T = TypeVar("T", bound="CutPoints")


@_attrs_define
class CutPoints:
    """
    Attributes:
        r (list[CutPoint]): Recency: `days_since_last_order` per `rfm_r` score.
        f (list[CutPoint]): Frequency: `order_count` per `rfm_f` score.
        m (list[CutPoint]): Monetary: `lifetime_spend` per `rfm_m` score.
    """

    r: list[CutPoint]
    f: list[CutPoint]
    m: list[CutPoint]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        r = []
        for r_item_data in self.r:
            r_item = r_item_data.to_dict()
            r.append(r_item)

        f = []
        for f_item_data in self.f:
            f_item = f_item_data.to_dict()
            f.append(f_item)

        m = []
        for m_item_data in self.m:
            m_item = m_item_data.to_dict()
            m.append(m_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "r": r,
                "f": f,
                "m": m,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cut_point import CutPoint  # noqa: PLC0415

        d = dict(src_dict)
        r = []
        _r = d.pop("r")
        for r_item_data in _r:
            r_item = CutPoint.from_dict(r_item_data)

            r.append(r_item)

        f = []
        _f = d.pop("f")
        for f_item_data in _f:
            f_item = CutPoint.from_dict(f_item_data)

            f.append(f_item)

        m = []
        _m = d.pop("m")
        for m_item_data in _m:
            m_item = CutPoint.from_dict(m_item_data)

            m.append(m_item)

        cut_points = cls(
            r=r,
            f=f,
            m=m,
        )

        cut_points.additional_properties = d
        return cut_points

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
