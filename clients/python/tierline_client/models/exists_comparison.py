from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ExistsComparison")


@_attrs_define
class ExistsComparison:
    """`true` holds when the field has a value that is not null; `false` is its negation.

    Attributes:
        field (str): What to compare: `metrics.<name>` (built-in or user-defined metric), `traits.<key>[.<key>...]` (a
            path into the customer's traits), `tiers.<scheme>` (the customer's tier key in that scheme) or
            `customer.created_at`.
        op (Literal['exists']):
        value (bool):
    """

    field: str
    op: Literal["exists"]
    value: bool

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op

        value = self.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
                "op": op,
                "value": value,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field")

        op = cast(Literal["exists"], d.pop("op"))
        if op != "exists":
            raise ValueError(f"op must match const 'exists', got '{op}'")

        value = d.pop("value")

        exists_comparison = cls(
            field=field,
            op=op,
            value=value,
        )

        return exists_comparison
