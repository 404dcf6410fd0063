from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.gap import Gap
    from ..models.gap_all import GapAll
    from ..models.gap_any import GapAny
    from ..models.margin import Margin
    from ..models.margin_all import MarginAll
    from ..models.margin_any import MarginAny


T = TypeVar("T", bound="KeepTier")


@_attrs_define
class KeepTier:
    """
    Attributes:
        tier (str):
        holds (bool): Whether the tier's condition holds now.
        lose_if (Margin | MarginAll | MarginAny | None): While it holds: what would make it stop holding. A downgrade
            may then still wait out `downgrade_grace_days` and `min_days_in_tier`.
        missing (Gap | GapAll | GapAny | None): While it does not hold (a downgrade is pending): what would make it hold
            again and cancel the downgrade.
    """

    tier: str
    holds: bool
    lose_if: Margin | MarginAll | MarginAny | None
    missing: Gap | GapAll | GapAny | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415
        from ..models.gap_any import GapAny  # noqa: PLC0415
        from ..models.margin import Margin  # noqa: PLC0415
        from ..models.margin_all import MarginAll  # noqa: PLC0415
        from ..models.margin_any import MarginAny  # noqa: PLC0415

        tier = self.tier

        holds = self.holds

        lose_if: dict[str, Any] | None
        if isinstance(self.lose_if, Margin):
            lose_if = self.lose_if.to_dict()
        elif isinstance(self.lose_if, MarginAll):
            lose_if = self.lose_if.to_dict()
        elif isinstance(self.lose_if, MarginAny):
            lose_if = self.lose_if.to_dict()
        else:
            lose_if = self.lose_if

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
                "tier": tier,
                "holds": holds,
                "lose_if": lose_if,
                "missing": missing,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.gap import Gap  # noqa: PLC0415
        from ..models.gap_all import GapAll  # noqa: PLC0415
        from ..models.gap_any import GapAny  # noqa: PLC0415
        from ..models.margin import Margin  # noqa: PLC0415
        from ..models.margin_all import MarginAll  # noqa: PLC0415
        from ..models.margin_any import MarginAny  # noqa: PLC0415

        d = dict(src_dict)
        tier = d.pop("tier")

        holds = d.pop("holds")

        def _parse_lose_if(data: object) -> Margin | MarginAll | MarginAny | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lose_if_type_0 = Margin.from_dict(data)

                return lose_if_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lose_if_type_1 = MarginAll.from_dict(data)

                return lose_if_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                lose_if_type_2 = MarginAny.from_dict(data)

                return lose_if_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Margin | MarginAll | MarginAny | None, data)

        lose_if = _parse_lose_if(d.pop("lose_if"))

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

        keep_tier = cls(
            tier=tier,
            holds=holds,
            lose_if=lose_if,
            missing=missing,
        )

        keep_tier.additional_properties = d
        return keep_tier

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
