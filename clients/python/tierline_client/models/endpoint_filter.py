from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.endpoint_filter_direction import EndpointFilterDirection
from ..types import UNSET, Unset

T = TypeVar("T", bound="EndpointFilter")


@_attrs_define
class EndpointFilter:
    """Each part given must hold; a part left out admits everything.

    Attributes:
        schemes (list[str] | None | Unset): `customer.tier_changed` only for these schemes (keys of schemes in this
            workspace).
        tiers (list[str] | None | Unset): `customer.tier_changed` only when the customer leaves or enters one of these
            tiers.
        segments (list[str] | None | Unset): `customer.segment_entered` and `customer.segment_exited` only for these
            segments (keys of segments in this workspace).
        direction (EndpointFilterDirection | Unset): `customer.tier_changed` only for moves `up` (towards the scheme's
            first tier; a customer's first tier, whose message says `entered`, counts as up) or `down`; `any`: both. A move
            whose direction cannot be told (from a tier the scheme no longer has: `direction` null) is always sent. Default:
            EndpointFilterDirection.ANY.
    """

    schemes: list[str] | None | Unset = UNSET
    tiers: list[str] | None | Unset = UNSET
    segments: list[str] | None | Unset = UNSET
    direction: EndpointFilterDirection | Unset = EndpointFilterDirection.ANY

    def to_dict(self) -> dict[str, Any]:
        schemes: list[str] | None | Unset
        if isinstance(self.schemes, Unset):
            schemes = UNSET
        elif isinstance(self.schemes, list):
            schemes = self.schemes

        else:
            schemes = self.schemes

        tiers: list[str] | None | Unset
        if isinstance(self.tiers, Unset):
            tiers = UNSET
        elif isinstance(self.tiers, list):
            tiers = self.tiers

        else:
            tiers = self.tiers

        segments: list[str] | None | Unset
        if isinstance(self.segments, Unset):
            segments = UNSET
        elif isinstance(self.segments, list):
            segments = self.segments

        else:
            segments = self.segments

        direction: str | Unset = UNSET
        if not isinstance(self.direction, Unset):
            direction = self.direction.value

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if schemes is not UNSET:
            field_dict["schemes"] = schemes
        if tiers is not UNSET:
            field_dict["tiers"] = tiers
        if segments is not UNSET:
            field_dict["segments"] = segments
        if direction is not UNSET:
            field_dict["direction"] = direction

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_schemes(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                schemes_type_0 = cast(list[str], data)

                return schemes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        schemes = _parse_schemes(d.pop("schemes", UNSET))

        def _parse_tiers(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tiers_type_0 = cast(list[str], data)

                return tiers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        tiers = _parse_tiers(d.pop("tiers", UNSET))

        def _parse_segments(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                segments_type_0 = cast(list[str], data)

                return segments_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        segments = _parse_segments(d.pop("segments", UNSET))

        _direction = d.pop("direction", UNSET)
        direction: EndpointFilterDirection | Unset
        if isinstance(_direction, Unset):
            direction = UNSET
        else:
            direction = EndpointFilterDirection(_direction)

        endpoint_filter = cls(
            schemes=schemes,
            tiers=tiers,
            segments=segments,
            direction=direction,
        )

        return endpoint_filter
