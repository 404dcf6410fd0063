from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_created_status import EventCreatedStatus

if TYPE_CHECKING:
    from ..models.customer import Customer
    from ..models.tier_change import TierChange


T = TypeVar("T", bound="EventCreated")


@_attrs_define
class EventCreated:
    """
    Attributes:
        status (EventCreatedStatus):
        event_id (str):
        customer (Customer | None): The customer's profile after the event: traits, metrics and tiers. `null` unless the
            key also holds `customers:read`: a key that may only send events does not read profiles.
        tier_changes (list[TierChange]): The tier changes this event caused, in every scheme (none for a replay).
    """

    status: EventCreatedStatus
    event_id: str
    customer: Customer | None
    tier_changes: list[TierChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.customer import Customer  # noqa: PLC0415

        status = self.status.value

        event_id = self.event_id

        customer: dict[str, Any] | None
        if isinstance(self.customer, Customer):
            customer = self.customer.to_dict()
        else:
            customer = self.customer

        tier_changes = []
        for tier_changes_item_data in self.tier_changes:
            tier_changes_item = tier_changes_item_data.to_dict()
            tier_changes.append(tier_changes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "event_id": event_id,
                "customer": customer,
                "tier_changes": tier_changes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.customer import Customer  # noqa: PLC0415
        from ..models.tier_change import TierChange  # noqa: PLC0415

        d = dict(src_dict)
        status = EventCreatedStatus(d.pop("status"))

        event_id = d.pop("event_id")

        def _parse_customer(data: object) -> Customer | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                customer_type_0 = Customer.from_dict(data)

                return customer_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Customer | None, data)

        customer = _parse_customer(d.pop("customer"))

        tier_changes = []
        _tier_changes = d.pop("tier_changes")
        for tier_changes_item_data in _tier_changes:
            tier_changes_item = TierChange.from_dict(tier_changes_item_data)

            tier_changes.append(tier_changes_item)

        event_created = cls(
            status=status,
            event_id=event_id,
            customer=customer,
            tier_changes=tier_changes,
        )

        event_created.additional_properties = d
        return event_created

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
