from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.metric_definition_in_aggregation import MetricDefinitionInAggregation
from ..types import UNSET, Unset

T = TypeVar("T", bound="MetricDefinitionIn")


@_attrs_define
class MetricDefinitionIn:
    """
    Attributes:
        event_type (str): `order`, `refund`, `visit`, `support_ticket`, `survey`, or your own name (lowercase letters,
            digits and `_`, at most 64).
        aggregation (MetricDefinitionInAggregation): `count` of events, or `sum`, `avg`, `min`, `max`, `last` of the
            values.
        property_ (None | str | Unset):
        window_days (int | None | Unset): Whole UTC days (today and the N-1 before), 1 to 3,650; omitted or null: the
            customer's lifetime.
    """

    event_type: str
    aggregation: MetricDefinitionInAggregation
    property_: None | str | Unset = UNSET
    window_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        event_type = self.event_type

        aggregation = self.aggregation.value

        property_: None | str | Unset
        if isinstance(self.property_, Unset):
            property_ = UNSET
        else:
            property_ = self.property_

        window_days: int | None | Unset
        if isinstance(self.window_days, Unset):
            window_days = UNSET
        else:
            window_days = self.window_days

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "event_type": event_type,
                "aggregation": aggregation,
            }
        )
        if property_ is not UNSET:
            field_dict["property"] = property_
        if window_days is not UNSET:
            field_dict["window_days"] = window_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_type = d.pop("event_type")

        aggregation = MetricDefinitionInAggregation(d.pop("aggregation"))

        def _parse_property_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        property_ = _parse_property_(d.pop("property", UNSET))

        def _parse_window_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        window_days = _parse_window_days(d.pop("window_days", UNSET))

        metric_definition_in = cls(
            event_type=event_type,
            aggregation=aggregation,
            property_=property_,
            window_days=window_days,
        )

        return metric_definition_in
