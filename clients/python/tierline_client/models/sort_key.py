from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.sort_key_direction import SortKeyDirection
from ..types import UNSET, Unset

T = TypeVar("T", bound="SortKey")


@_attrs_define
class SortKey:
    """
    Attributes:
        field (str): A single-valued field: `customer_id`, `customer.created_at`, `metrics.<name>`, `traits.<key>...`
            (sorted as JSON: by type, then value) or `tiers.<scheme>`.
        direction (SortKeyDirection | Unset):  Default: SortKeyDirection.ASC.
    """

    field: str
    direction: SortKeyDirection | Unset = SortKeyDirection.ASC

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        direction: str | Unset = UNSET
        if not isinstance(self.direction, Unset):
            direction = self.direction.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
            }
        )
        if direction is not UNSET:
            field_dict["direction"] = direction

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field")

        _direction = d.pop("direction", UNSET)
        direction: SortKeyDirection | Unset
        if isinstance(_direction, Unset):
            direction = UNSET
        else:
            direction = SortKeyDirection(_direction)

        sort_key = cls(
            field=field,
            direction=direction,
        )

        return sort_key
