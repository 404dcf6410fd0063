from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ExplainedComparison")


@_attrs_define
class ExplainedComparison:
    """
    Attributes:
        field (str):
        op (str):
        value (Any): The threshold, as written in the condition (for money, compared exactly with the `Money` of
            `actual`: a threshold of `"91.91"` holds for `"91.91"`).
        actual (Any): The customer's value as the profile shows it: money metrics in the workspace's base currency as
            `Money` (averages as `MoneyAverage`), the very number the comparison reads; counts as integers; other numbers as
            decimal strings; null when it has none.
        holds (bool):
        changes_at (datetime.datetime | None): The next moment this comparison flips with no new event, when known: time
            comparisons (`within_days`, `older_than_days`, `days_since_last_order`) and the built-in windowed metrics
            (`spend_<N>d`, `orders_<N>d`) as days leave the window.
    """

    field: str
    op: str
    value: Any
    actual: Any
    holds: bool
    changes_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        op = self.op

        value = self.value

        actual = self.actual

        holds = self.holds

        changes_at: None | str
        if isinstance(self.changes_at, datetime.datetime):
            changes_at = self.changes_at.isoformat()
        else:
            changes_at = self.changes_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "field": field,
                "op": op,
                "value": value,
                "actual": actual,
                "holds": holds,
                "changes_at": changes_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field")

        op = d.pop("op")

        value = d.pop("value")

        actual = d.pop("actual")

        holds = d.pop("holds")

        def _parse_changes_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                changes_at_type_0 = datetime.datetime.fromisoformat(data)

                return changes_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        changes_at = _parse_changes_at(d.pop("changes_at"))

        explained_comparison = cls(
            field=field,
            op=op,
            value=value,
            actual=actual,
            holds=holds,
            changes_at=changes_at,
        )

        explained_comparison.additional_properties = d
        return explained_comparison

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
