from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ContainsComparison")


@_attrs_define
class ContainsComparison:
    """For traits only: a string trait containing `value` as a substring (case-sensitive), or
    an array trait with an element equal to `value` (same JSON type).

        Attributes:
            field (str): What to compare: `metrics.<name>` (built-in or user-defined metric), `traits.<key>[.<key>...]` (a
                path into the customer's traits), `tiers.<scheme>` (the customer's tier key in that scheme) or
                `customer.created_at`.
            op (Literal['contains']):
            value (bool | float | str): A JSON number, string or boolean. For `traits.*` the JSON type counts (`10` and
                `"10"` differ); for metrics a string is a decimal number or a date-time.
    """

    field: str
    op: Literal["contains"]
    value: bool | float | str

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op

        value: bool | float | str
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

        op = cast(Literal["contains"], d.pop("op"))
        if op != "contains":
            raise ValueError(f"op must match const 'contains', got '{op}'")

        def _parse_value(data: object) -> bool | float | str:
            return cast(bool | float | str, data)

        value = _parse_value(d.pop("value"))

        contains_comparison = cls(
            field=field,
            op=op,
            value=value,
        )

        return contains_comparison
