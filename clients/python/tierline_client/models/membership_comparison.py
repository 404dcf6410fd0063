from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.membership_comparison_op import MembershipComparisonOp

T = TypeVar("T", bound="MembershipComparison")


@_attrs_define
class MembershipComparison:
    """`in` holds when the field's value equals one of the listed values; `not_in` is its
    exact negation, so it holds for a missing or null value too.

        Attributes:
            field (str): What to compare: `metrics.<name>` (built-in or user-defined metric), `traits.<key>[.<key>...]` (a
                path into the customer's traits), `tiers.<scheme>` (the customer's tier key in that scheme) or
                `customer.created_at`.
            op (MembershipComparisonOp):
            value (list[bool | float | str]):
    """

    field: str
    op: MembershipComparisonOp
    value: list[bool | float | str]

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op.value

        value = []
        for value_item_data in self.value:
            value_item: bool | float | str
            value_item = value_item_data
            value.append(value_item)

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

        op = MembershipComparisonOp(d.pop("op"))

        value = []
        _value = d.pop("value")
        for value_item_data in _value:

            def _parse_value_item(data: object) -> bool | float | str:
                return cast(bool | float | str, data)

            value_item = _parse_value_item(value_item_data)

            value.append(value_item)

        membership_comparison = cls(
            field=field,
            op=op,
            value=value,
        )

        return membership_comparison
