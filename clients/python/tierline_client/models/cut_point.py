from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CutPoint")


@_attrs_define
class CutPoint:
    """
    Attributes:
        score (int):
        customers (int): How many customers have this score.
        min_ (int | None | str): The lowest value among the customers with this score (null when none): days since the
            last order for `r`, orders for `f`, lifetime spend (`Money`) for `m`.
        max_ (int | None | str): The highest such value (null when none).
    """

    score: int
    customers: int
    min_: int | None | str
    max_: int | None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        score = self.score

        customers = self.customers

        min_: int | None | str
        min_ = self.min_

        max_: int | None | str
        max_ = self.max_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "score": score,
                "customers": customers,
                "min": min_,
                "max": max_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        score = d.pop("score")

        customers = d.pop("customers")

        def _parse_min_(data: object) -> int | None | str:
            if data is None:
                return data
            return cast(int | None | str, data)

        min_ = _parse_min_(d.pop("min"))

        def _parse_max_(data: object) -> int | None | str:
            if data is None:
                return data
            return cast(int | None | str, data)

        max_ = _parse_max_(d.pop("max"))

        cut_point = cls(
            score=score,
            customers=customers,
            min_=min_,
            max_=max_,
        )

        cut_point.additional_properties = d
        return cut_point

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
