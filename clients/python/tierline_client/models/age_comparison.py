from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.age_comparison_op import AgeComparisonOp

T = TypeVar("T", bound="AgeComparison")


@_attrs_define
class AgeComparison:
    """For timestamps, in whole UTC days like the metric windows. `within_days: N` holds when
    the timestamp's UTC date is today or one of the N-1 days before (or later); `older_than_days:
    N` holds when it is N or more days before today. For a timestamp that exists, exactly one
    of the two holds; for a missing one, neither.

        Attributes:
            field (str): What to compare: `metrics.<name>` (built-in or user-defined metric), `traits.<key>[.<key>...]` (a
                path into the customer's traits), `tiers.<scheme>` (the customer's tier key in that scheme) or
                `customer.created_at`.
            op (AgeComparisonOp):
            value (int): Whole days, 0 to 36,500.
    """

    field: str
    op: AgeComparisonOp
    value: int

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op.value

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

        op = AgeComparisonOp(d.pop("op"))

        value = d.pop("value")

        age_comparison = cls(
            field=field,
            op=op,
            value=value,
        )

        return age_comparison
