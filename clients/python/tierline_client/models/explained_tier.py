from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.explained_all import ExplainedAll
    from ..models.explained_any import ExplainedAny
    from ..models.explained_comparison import ExplainedComparison
    from ..models.explained_not import ExplainedNot


T = TypeVar("T", bound="ExplainedTier")


@_attrs_define
class ExplainedTier:
    """
    Attributes:
        key (str):
        name (None | str): null for the default tier.
        holds (bool): Whether its condition holds now (the default always does).
        condition (ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot | None): null for the default tier.
    """

    key: str
    name: None | str
    holds: bool
    condition: ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.explained_all import ExplainedAll  # noqa: PLC0415
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415
        from ..models.explained_comparison import ExplainedComparison  # noqa: PLC0415
        from ..models.explained_not import ExplainedNot  # noqa: PLC0415

        key = self.key

        name: None | str
        name = self.name

        holds = self.holds

        condition: dict[str, Any] | None
        if isinstance(self.condition, ExplainedAll):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, ExplainedAny):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, ExplainedNot):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, ExplainedComparison):
            condition = self.condition.to_dict()
        else:
            condition = self.condition

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "name": name,
                "holds": holds,
                "condition": condition,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.explained_all import ExplainedAll  # noqa: PLC0415
        from ..models.explained_any import ExplainedAny  # noqa: PLC0415
        from ..models.explained_comparison import ExplainedComparison  # noqa: PLC0415
        from ..models.explained_not import ExplainedNot  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))

        holds = d.pop("holds")

        def _parse_condition(data: object) -> ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0 = ExplainedAll.from_dict(data)

                return condition_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_1 = ExplainedAny.from_dict(data)

                return condition_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_2 = ExplainedNot.from_dict(data)

                return condition_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3 = ExplainedComparison.from_dict(data)

                return condition_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ExplainedAll | ExplainedAny | ExplainedComparison | ExplainedNot | None, data)

        condition = _parse_condition(d.pop("condition"))

        explained_tier = cls(
            key=key,
            name=name,
            holds=holds,
            condition=condition,
        )

        explained_tier.additional_properties = d
        return explained_tier

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
