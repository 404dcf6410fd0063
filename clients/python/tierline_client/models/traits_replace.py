from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.traits_replace_traits import TraitsReplaceTraits


T = TypeVar("T", bound="TraitsReplace")


@_attrs_define
class TraitsReplace:
    """
    Attributes:
        traits (TraitsReplaceTraits): The customer's whole set of traits.
    """

    traits: TraitsReplaceTraits

    def to_dict(self) -> dict[str, Any]:
        traits = self.traits.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "traits": traits,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.traits_replace_traits import TraitsReplaceTraits  # noqa: PLC0415

        d = dict(src_dict)
        traits = TraitsReplaceTraits.from_dict(d.pop("traits"))

        traits_replace = cls(
            traits=traits,
        )

        return traits_replace
