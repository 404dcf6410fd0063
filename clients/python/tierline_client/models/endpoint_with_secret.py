from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.endpoint_with_secret_event_types_type_0_item import EndpointWithSecretEventTypesType0Item
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.endpoint_filter import EndpointFilter


T = TypeVar("T", bound="EndpointWithSecret")


@_attrs_define
class EndpointWithSecret:
    """
    Attributes:
        id (UUID):
        url (str):
        description (None | str):
        event_types (list[EndpointWithSecretEventTypesType0Item] | None): The types the endpoint receives; null: every
            type, including types added later.
        filter_ (EndpointFilter | None):
        enabled (bool):
        disabled_reason (None | str): Why the endpoint is disabled: by hand, a `410 Gone`, or failing for days.
        disabled_at (datetime.datetime | None):
        failing_since (datetime.datetime | None): Since when every delivery has failed; null while deliveries succeed.
            The endpoint is disabled when this is days old.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        secret (None | str): The signing secret (Standard Webhooks: `whsec_` and a base64 key). Shown only when the
            endpoint is created and when the secret is rotated; store it now. `null` in an answer replayed for an
            `Idempotency-Key` (`secret_shown_once`).
        secret_shown_once (bool | Unset): `true` in an answer replayed for an `Idempotency-Key` (header `Idempotent-
            Replayed: true`): the secret was shown once, in the first answer, and is `null` here. `false` in the answer that
            shows it. Default: False.
    """

    id: UUID
    url: str
    description: None | str
    event_types: list[EndpointWithSecretEventTypesType0Item] | None
    filter_: EndpointFilter | None
    enabled: bool
    disabled_reason: None | str
    disabled_at: datetime.datetime | None
    failing_since: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    secret: None | str
    secret_shown_once: bool | Unset = False
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.endpoint_filter import EndpointFilter  # noqa: PLC0415

        id = str(self.id)

        url = self.url

        description: None | str
        description = self.description

        event_types: list[str] | None
        if isinstance(self.event_types, list):
            event_types = []
            for event_types_type_0_item_data in self.event_types:
                event_types_type_0_item = event_types_type_0_item_data.value
                event_types.append(event_types_type_0_item)

        else:
            event_types = self.event_types

        filter_: dict[str, Any] | None
        if isinstance(self.filter_, EndpointFilter):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        enabled = self.enabled

        disabled_reason: None | str
        disabled_reason = self.disabled_reason

        disabled_at: None | str
        if isinstance(self.disabled_at, datetime.datetime):
            disabled_at = self.disabled_at.isoformat()
        else:
            disabled_at = self.disabled_at

        failing_since: None | str
        if isinstance(self.failing_since, datetime.datetime):
            failing_since = self.failing_since.isoformat()
        else:
            failing_since = self.failing_since

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        secret: None | str
        secret = self.secret

        secret_shown_once = self.secret_shown_once

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "description": description,
                "event_types": event_types,
                "filter": filter_,
                "enabled": enabled,
                "disabled_reason": disabled_reason,
                "disabled_at": disabled_at,
                "failing_since": failing_since,
                "created_at": created_at,
                "updated_at": updated_at,
                "secret": secret,
            }
        )
        if secret_shown_once is not UNSET:
            field_dict["secret_shown_once"] = secret_shown_once

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.endpoint_filter import EndpointFilter  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        url = d.pop("url")

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        def _parse_event_types(data: object) -> list[EndpointWithSecretEventTypesType0Item] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                event_types_type_0 = []
                _event_types_type_0 = data
                for event_types_type_0_item_data in _event_types_type_0:
                    event_types_type_0_item = EndpointWithSecretEventTypesType0Item(event_types_type_0_item_data)

                    event_types_type_0.append(event_types_type_0_item)

                return event_types_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[EndpointWithSecretEventTypesType0Item] | None, data)

        event_types = _parse_event_types(d.pop("event_types"))

        def _parse_filter_(data: object) -> EndpointFilter | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = EndpointFilter.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EndpointFilter | None, data)

        filter_ = _parse_filter_(d.pop("filter"))

        enabled = d.pop("enabled")

        def _parse_disabled_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        disabled_reason = _parse_disabled_reason(d.pop("disabled_reason"))

        def _parse_disabled_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                disabled_at_type_0 = datetime.datetime.fromisoformat(data)

                return disabled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        disabled_at = _parse_disabled_at(d.pop("disabled_at"))

        def _parse_failing_since(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                failing_since_type_0 = datetime.datetime.fromisoformat(data)

                return failing_since_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        failing_since = _parse_failing_since(d.pop("failing_since"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_secret(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        secret = _parse_secret(d.pop("secret"))

        secret_shown_once = d.pop("secret_shown_once", UNSET)

        endpoint_with_secret = cls(
            id=id,
            url=url,
            description=description,
            event_types=event_types,
            filter_=filter_,
            enabled=enabled,
            disabled_reason=disabled_reason,
            disabled_at=disabled_at,
            failing_since=failing_since,
            created_at=created_at,
            updated_at=updated_at,
            secret=secret,
            secret_shown_once=secret_shown_once,
        )

        endpoint_with_secret.additional_properties = d
        return endpoint_with_secret

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
