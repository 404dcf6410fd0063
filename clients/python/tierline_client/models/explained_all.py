from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.explained_any import ExplainedAny
    from ..models.explained_comparison import ExplainedComparison
    from ..models.explained_not import ExplainedNot


T = TypeVar("T", bound="ExplainedAll")


@_attrs_define
class ExplainedAll:
    """
    Attributes:
        all_ (list[ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot]):
        holds (bool):
    """

    all_: list[ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot]
    holds: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415
        from ..models.explained_not import ExplainedNot  # noqa: PLC0415

        all_ = []
        for all_item_data in self.all_:
            all_item: dict[str, Any]
            if isinstance(all_item_data, ExplainedAll):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, ExplainedAny):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, ExplainedNot):
                all_item = all_item_data.to_dict()
            else:
                all_item = all_item_data.to_dict()

            all_.append(all_item)

        holds = self.holds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "all": all_,
                "holds": holds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415
        from ..models.explained_comparison import ExplainedComparison  # noqa: PLC0415
        from ..models.explained_not import ExplainedNot  # noqa: PLC0415

        d = dict(src_dict)
        all_ = []
        _all_ = d.pop("all")
        for all_item_data in _all_:

            def _parse_all_item(data: object) -> ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_0 = ExplainedAll.from_dict(data)

                    return all_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_1 = ExplainedAny.from_dict(data)

                    return all_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_2 = ExplainedNot.from_dict(data)

                    return all_item_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                all_item_type_3 = ExplainedComparison.from_dict(data)

                return all_item_type_3

            all_item = _parse_all_item(all_item_data)

            all_.append(all_item)

        holds = d.pop("holds")

        explained_all = cls(
            all_=all_,
            holds=holds,
        )

        explained_all.additional_properties = d
        return explained_all

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
