from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.gap_direction_type_0 import GapDirectionType0

T = TypeVar("T", bound="Gap")


@_attrs_define
class Gap:
    """
    Attributes:
        path (str): Where the comparison sits in the tier's condition, e.g. `all.1.any.0`.
        field (str):
        op (str):
        value (Any): The threshold, as written in the condition (for money, compared exactly with the `Money` of
            `actual`: a threshold of `"91.91"` holds for `"91.91"`).
        actual (Any): The customer's value as the profile shows it: money metrics in the workspace's base currency as
            `Money` (averages as `MoneyAverage`), the very number the comparison reads; counts as integers; other numbers as
            decimal strings; null when it has none.
        missing (int | None | str): How much the metric must change: counts in whole units, money in the base currency's
            minor units (`Money`: `"400.00"` in EUR, `"400"` in JPY), other numbers exactly. null when the comparison is not
            a numeric one on a metric, or the metric has no value.
        direction (GapDirectionType0 | None):
        text (str):
    """

    path: str
    field: str
    op: str
    value: Any
    actual: Any
    missing: int | None | str
    direction: GapDirectionType0 | None
    text: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        field = self.field

        op = self.op

        value = self.value

        actual = self.actual

        missing: int | None | str
        missing = self.missing

        direction: None | str
        if isinstance(self.direction, GapDirectionType0):
            direction = self.direction.value
        else:
            direction = self.direction

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
                "missing": missing,
                "direction": direction,
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

        def _parse_missing(data: object) -> int | None | str:
            if data is None:
                return data
            return cast(int | None | str, data)

        missing = _parse_missing(d.pop("missing"))

        def _parse_direction(data: object) -> GapDirectionType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                direction_type_0 = GapDirectionType0(data)

                return direction_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(GapDirectionType0 | None, data)

        direction = _parse_direction(d.pop("direction"))

        text = d.pop("text")

        gap = cls(
            path=path,
            field=field,
            op=op,
            value=value,
            actual=actual,
            missing=missing,
            direction=direction,
            text=text,
        )

        gap.additional_properties = d
        return gap

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
