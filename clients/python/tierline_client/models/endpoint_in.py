from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.endpoint_in_event_types_type_0_item import EndpointInEventTypesType0Item
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.endpoint_filter import EndpointFilter


T = TypeVar("T", bound="EndpointIn")


@_attrs_define
class EndpointIn:
    """
    Attributes:
        url (str): Where messages are POSTed: http(s), no credentials. A host that resolves to an address that is not
            publicly routable (private, loopback, link-local, reserved, IPv6 outside 2000::/3, or an IPv6 form of such an
            IPv4 address: NAT64, 6to4, Teredo, IPv4-mapped) is refused unless the operator allows its network
            (`TIERLINE_WEBHOOK_ALLOWED_NETWORKS`). The refusal names the kind of address, never the addresses the host
            resolved to.
        event_types (list[EndpointInEventTypesType0Item] | None | Unset):
        description (None | str | Unset):
        filter_ (EndpointFilter | None | Unset): Narrows the `customer.tier_changed` and `customer.segment_*` messages
            the endpoint receives; null or omitted: all of them. `customer.deleted` and `ping` are never filtered.
        enabled (bool | Unset): A disabled endpoint is sent nothing new; its queue waits. Default: True.
    """

    url: str
    event_types: list[EndpointInEventTypesType0Item] | None | Unset = UNSET
    description: None | str | Unset = UNSET
    filter_: EndpointFilter | None | Unset = UNSET
    enabled: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        from ..models.endpoint_filter import EndpointFilter  # noqa: PLC0415

        url = self.url

        event_types: list[str] | None | Unset
        if isinstance(self.event_types, Unset):
            event_types = UNSET
        elif isinstance(self.event_types, list):
            event_types = []
            for event_types_type_0_item_data in self.event_types:
                event_types_type_0_item = event_types_type_0_item_data.value
                event_types.append(event_types_type_0_item)

        else:
            event_types = self.event_types

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, EndpointFilter):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        enabled = self.enabled

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "url": url,
            }
        )
        if event_types is not UNSET:
            field_dict["event_types"] = event_types
        if description is not UNSET:
            field_dict["description"] = description
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if enabled is not UNSET:
            field_dict["enabled"] = enabled

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.endpoint_filter import EndpointFilter  # noqa: PLC0415

        d = dict(src_dict)
        url = d.pop("url")

        def _parse_event_types(data: object) -> list[EndpointInEventTypesType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                event_types_type_0 = []
                _event_types_type_0 = data
                for event_types_type_0_item_data in _event_types_type_0:
                    event_types_type_0_item = EndpointInEventTypesType0Item(event_types_type_0_item_data)

                    event_types_type_0.append(event_types_type_0_item)

                return event_types_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[EndpointInEventTypesType0Item] | None | Unset, data)

        event_types = _parse_event_types(d.pop("event_types", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_filter_(data: object) -> EndpointFilter | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = EndpointFilter.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EndpointFilter | None | Unset, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        enabled = d.pop("enabled", UNSET)

        endpoint_in = cls(
            url=url,
            event_types=event_types,
            description=description,
            filter_=filter_,
            enabled=enabled,
        )

        return endpoint_in
