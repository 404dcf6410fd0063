from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.gap import Gap
    from ..models.gap_all import GapAll


T = TypeVar("T", bound="GapAny")


@_attrs_define
class GapAny:
    """
    Attributes:
        any_ (list[Gap | GapAll | GapAny]): Any one of these is enough; cheapest first (fewest comparisons to change,
            then the smallest change relative to the threshold).
    """

    any_: list[Gap | GapAll | GapAny]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415

        any_ = []
        for any_item_data in self.any_:
            any_item: dict[str, Any]
            if isinstance(any_item_data, Gap):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, GapAll):
                any_item = any_item_data.to_dict()
            else:
                any_item = any_item_data.to_dict()

            any_.append(any_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "any": any_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415

        d = dict(src_dict)
        any_ = []
        _any_ = d.pop("any")
        for any_item_data in _any_:

            def _parse_any_item(data: object) -> Gap | GapAll | GapAny:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_0 = Gap.from_dict(data)

                    return any_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_1 = GapAll.from_dict(data)

                    return any_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                any_item_type_2 = GapAny.from_dict(data)

                return any_item_type_2

            any_item = _parse_any_item(any_item_data)

            any_.append(any_item)

        gap_any = cls(
            any_=any_,
        )

        gap_any.additional_properties = d
        return gap_any

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
