from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.margin import Margin
    from ..models.margin_any import MarginAny


T = TypeVar("T", bound="MarginAll")


@_attrs_define
class MarginAll:
    """
    Attributes:
        all_ (list[Margin | MarginAll | MarginAny]): The tier is lost only if all of these happen.
    """

    all_: list[Margin | MarginAll | MarginAny]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.margin import Margin  # noqa: PLC0415

        all_ = []
        for all_item_data in self.all_:
            all_item: dict[str, Any]
            if isinstance(all_item_data, Margin):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, MarginAll):
                all_item = all_item_data.to_dict()
            else:
                all_item = all_item_data.to_dict()

            all_.append(all_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "all": all_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.margin import Margin  # noqa: PLC0415
        from ..models.margin_any import MarginAny  # noqa: PLC0415

        d = dict(src_dict)
        all_ = []
        _all_ = d.pop("all")
        for all_item_data in _all_:

            def _parse_all_item(data: object) -> Margin | MarginAll | MarginAny:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_0 = Margin.from_dict(data)

                    return all_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_1 = MarginAll.from_dict(data)

                    return all_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                all_item_type_2 = MarginAny.from_dict(data)

                return all_item_type_2

            all_item = _parse_all_item(all_item_data)

            all_.append(all_item)

        margin_all = cls(
            all_=all_,
        )

        margin_all.additional_properties = d
        return margin_all

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
