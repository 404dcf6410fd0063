from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Margin")


@_attrs_define
class Margin:
    """
    Attributes:
        path (str):
        field (str):
        op (str):
        value (Any): The threshold, as written in the condition (for money, compared exactly with the `Money` of
            `actual`: a threshold of `"91.91"` holds for `"91.91"`).
        actual (Any): The customer's value as the profile shows it: money metrics in the workspace's base currency as
            `Money` (averages as `MoneyAverage`), the very number the comparison reads; counts as integers; other numbers as
            decimal strings; null when it has none.
        spare (int | None | str): How far the value is from flipping the comparison, exactly: counts as integers, money
            as `Money` in the base currency, other numbers as decimal strings; null when it is not a numeric one on a
            metric.
        changes_at (datetime.datetime | None): When the comparison flips with no new event, when known.
        text (str):
    """

    path: str
    field: str
    op: str
    value: Any
    actual: Any
    spare: int | None | str
    changes_at: datetime.datetime | None
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        field = self.field

        op = self.op

        value = self.value

        actual = self.actual

        spare: int | None | str
        spare = self.spare

        changes_at: None | str
        if isinstance(self.changes_at, datetime.datetime):
            changes_at = self.changes_at.isoformat()
        else:
            changes_at = self.changes_at

        text = self.text

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "path": path,
                "field": field,
                "op": op,
                "value": value,
                "actual": actual,
                "spare": spare,
                "changes_at": changes_at,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path = d.pop("path")

        field = d.pop("field")

        op = d.pop("op")

        value = d.pop("value")

        actual = d.pop("actual")

        def _parse_spare(data: object) -> int | None | str:
            if data is None:
                return data
            return cast(int | None | str, data)

        spare = _parse_spare(d.pop("spare"))

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

        text = d.pop("text")

        margin = cls(
            path=path,
            field=field,
            op=op,
            value=value,
            actual=actual,
            spare=spare,
            changes_at=changes_at,
            text=text,
        )

        margin.additional_properties = d
        return margin

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
