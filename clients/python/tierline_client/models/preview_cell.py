from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PreviewCell")


@_attrs_define
class PreviewCell:
    """
    Attributes:
        from_ (None | str): The customer's tier now; null: no tier yet in the scheme.
        to (str): The tier the proposal gives them now.
        count (int): How many customers.
        sample (list[str]): Up to 10 of them, by customer id.
    """

    from_: None | str
    to: str
    count: int
    sample: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from_: None | str
        from_ = self.from_

        to = self.to

        count = self.count

        sample = self.sample

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "from": from_,
                "to": to,
                "count": count,
                "sample": sample,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_from_(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        from_ = _parse_from_(d.pop("from"))

        to = d.pop("to")

        count = d.pop("count")

        sample = cast(list[str], d.pop("sample"))

        preview_cell = cls(
            from_=from_,
            to=to,
            count=count,
            sample=sample,
        )

        preview_cell.additional_properties = d
        return preview_cell

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
