from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.delivery import Delivery
    from ..models.message_payload import MessagePayload


T = TypeVar("T", bound="Message")


@_attrs_define
class Message:
    """
    Attributes:
        id (UUID): Sent as the `webhook-id` header; the same on every retry.
        type_ (str):
        customer_id (None | str): Null for a `ping`.
        sequence (int): Increases with every message; a customer's messages carry it as `data.sequence`, to be ordered
            by.
        created_at (datetime.datetime):
        payload (MessagePayload): The body that is signed and sent.
        deliveries (list[Delivery]):
    """

    id: UUID
    type_: str
    customer_id: None | str
    sequence: int
    created_at: datetime.datetime
    payload: MessagePayload
    deliveries: list[Delivery]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        type_ = self.type_

        customer_id: None | str
        customer_id = self.customer_id

        sequence = self.sequence

        created_at = self.created_at.isoformat()

        payload = self.payload.to_dict()

        deliveries = []
        for deliveries_item_data in self.deliveries:
            deliveries_item = deliveries_item_data.to_dict()
            deliveries.append(deliveries_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "customer_id": customer_id,
                "sequence": sequence,
                "created_at": created_at,
                "payload": payload,
                "deliveries": deliveries,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.delivery import Delivery  # noqa: PLC0415
        from ..models.message_payload import MessagePayload  # noqa: PLC0415

        d = dict(src_dict)
        id = UUID(d.pop("id"))

        type_ = d.pop("type")

        def _parse_customer_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        customer_id = _parse_customer_id(d.pop("customer_id"))

        sequence = d.pop("sequence")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        payload = MessagePayload.from_dict(d.pop("payload"))

        deliveries = []
        _deliveries = d.pop("deliveries")
        for deliveries_item_data in _deliveries:
            deliveries_item = Delivery.from_dict(deliveries_item_data)

            deliveries.append(deliveries_item)

        message = cls(
            id=id,
            type_=type_,
            customer_id=customer_id,
            sequence=sequence,
            created_at=created_at,
            payload=payload,
            deliveries=deliveries,
        )

        message.additional_properties = d
        return message

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
