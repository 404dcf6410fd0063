from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.gap import Gap
    from ..models.gap_all import GapAll
    from ..models.gap_any import GapAny


T = TypeVar("T", bound="NextTier")


@_attrs_define
class NextTier:
    """
    Attributes:
        key (str):
        name (str):
        holds (bool): true only while a stored tier lags behind the data (e.g. a new version still being applied): the
            customer already qualifies.
        missing (Gap | GapAll | GapAny | None): What its condition lacks; null when it holds.
    """

    key: str
    name: str
    holds: bool
    missing: Gap | GapAll | GapAny | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415
        from ..models.gap_any import GapAny  # noqa: PLC0415

        key = self.key

        name = self.name

        holds = self.holds

        missing: dict[str, Any] | None
        if isinstance(self.missing, Gap):
            missing = self.missing.to_dict()
        elif isinstance(self.missing, GapAll):
            missing = self.missing.to_dict()
        elif isinstance(self.missing, GapAny):
            missing = self.missing.to_dict()
        else:
            missing = self.missing

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "name": name,
                "holds": holds,
                "missing": missing,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415
        from ..models.gap_any import GapAny  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        name = d.pop("name")

        holds = d.pop("holds")

        def _parse_missing(data: object) -> Gap | GapAll | GapAny | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                missing_type_0 = Gap.from_dict(data)

                return missing_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                missing_type_1 = GapAll.from_dict(data)

                return missing_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                missing_type_2 = GapAny.from_dict(data)

                return missing_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Gap | GapAll | GapAny | None, data)

        missing = _parse_missing(d.pop("missing"))

        next_tier = cls(
            key=key,
            name=name,
            holds=holds,
            missing=missing,
        )

        next_tier.additional_properties = d
        return next_tier

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
