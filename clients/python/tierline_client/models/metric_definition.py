from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.metric_definition_aggregation import MetricDefinitionAggregation
from ..models.metric_definition_status import MetricDefinitionStatus

T = TypeVar("T", bound="MetricDefinition")


@_attrs_define
class MetricDefinition:
    """
    Attributes:
        name (str):
        event_type (str):
        aggregation (MetricDefinitionAggregation):
        property_ (None | str):
        window_days (int | None):
        status (MetricDefinitionStatus): `pending` while stored events are being backfilled; the metric reads as null
            and is listed in the customer's `pending_metrics` until then.
        job_id (None | UUID): The backfill job (see `GET /v1/jobs/{id}`).
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    name: str
    event_type: str
    aggregation: MetricDefinitionAggregation
    property_: None | str
    window_days: int | None
    status: MetricDefinitionStatus
    job_id: None | UUID
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        event_type = self.event_type

        aggregation = self.aggregation.value

        property_: None | str
        property_ = self.property_

        window_days: int | None
        window_days = self.window_days

        status = self.status.value

        job_id: None | str
        if isinstance(self.job_id, UUID):
            job_id = str(self.job_id)
        else:
            job_id = self.job_id

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "event_type": event_type,
                "aggregation": aggregation,
                "property": property_,
                "window_days": window_days,
                "status": status,
                "job_id": job_id,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        event_type = d.pop("event_type")

        aggregation = MetricDefinitionAggregation(d.pop("aggregation"))

        def _parse_property_(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        property_ = _parse_property_(d.pop("property"))

        def _parse_window_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        window_days = _parse_window_days(d.pop("window_days"))

        status = MetricDefinitionStatus(d.pop("status"))

        def _parse_job_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                job_id_type_0 = UUID(data)

                return job_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        job_id = _parse_job_id(d.pop("job_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        metric_definition = cls(
            name=name,
            event_type=event_type,
            aggregation=aggregation,
            property_=property_,
            window_days=window_days,
            status=status,
            job_id=job_id,
            created_at=created_at,
            updated_at=updated_at,
        )

        metric_definition.additional_properties = d
        return metric_definition

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
