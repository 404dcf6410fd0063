from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.order_comparison_op import OrderComparisonOp

T = TypeVar("T", bound="OrderComparison")


@_attrs_define
class OrderComparison:
    """`gt`, `gte`, `lt`, `lte`: numbers compare exactly (money included), timestamps by
    instant. A value that is missing, null or not of the compared type makes it false.

        Attributes:
            field (str): What to compare: `metrics.<name>` (built-in or user-defined metric), `traits.<key>[.<key>...]` (a
                path into the customer's traits), `tiers.<scheme>` (the customer's tier key in that scheme) or
                `customer.created_at`.
            op (OrderComparisonOp):
            value (float | str): A number (JSON number, or decimal string for metrics), or a date-time with a timezone for
                timestamp fields. Traits order JSON numbers only.
    """

    field: str
    op: OrderComparisonOp
    value: float | str

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op.value

        value: float | str
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

        op = OrderComparisonOp(d.pop("op"))

        def _parse_value(data: object) -> float | str:
            return cast(float | str, data)

        value = _parse_value(d.pop("value"))

        order_comparison = cls(
            field=field,
            op=op,
            value=value,
        )

        return order_comparison
