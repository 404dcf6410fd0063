from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.explained_all import ExplainedAll
    from ..models.explained_any import ExplainedAny
    from ..models.explained_comparison import ExplainedComparison


T = TypeVar("T", bound="ExplainedNot")


@_attrs_define
class ExplainedNot:
    """
    Attributes:
        not_ (ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot):
        holds (bool):
    """

    not_: ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot
    holds: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.explained_all import ExplainedAll  # noqa: PLC0415
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415

        not_: dict[str, Any]
        if isinstance(self.not_, ExplainedAll):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, ExplainedAny):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, ExplainedNot):
            not_ = self.not_.to_dict()
        else:
            not_ = self.not_.to_dict()

        holds = self.holds

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "not": not_,
                "holds": holds,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.explained_all import ExplainedAll  # noqa: PLC0415
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415
        from ..models.explained_comparison import ExplainedComparison  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_not_(data: object) -> ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_0 = ExplainedAll.from_dict(data)

                return not_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_1 = ExplainedAny.from_dict(data)

                return not_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_2 = ExplainedNot.from_dict(data)

                return not_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            not_type_3 = ExplainedComparison.from_dict(data)

            return not_type_3

        not_ = _parse_not_(d.pop("not"))

        holds = d.pop("holds")

        explained_not = cls(
            not_=not_,
            holds=holds,
        )

        explained_not.additional_properties = d
        return explained_not

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
