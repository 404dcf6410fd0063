from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.traits_patch_traits import TraitsPatchTraits


T = TypeVar("T", bound="TraitsPatch")


@_attrs_define
class TraitsPatch:
    """
    Attributes:
        traits (TraitsPatchTraits): Traits to merge; a `null` value removes the trait.
    """

    traits: TraitsPatchTraits

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
        from ..models.traits_patch_traits import TraitsPatchTraits  # noqa: PLC0415

        d = dict(src_dict)
        traits = TraitsPatchTraits.from_dict(d.pop("traits"))

        traits_patch = cls(
            traits=traits,
        )

        return traits_patch
