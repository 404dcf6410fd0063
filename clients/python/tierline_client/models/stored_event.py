from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.stored_event_properties import StoredEventProperties


T = TypeVar("T", bound="StoredEvent")


@_attrs_define
class StoredEvent:
    """
    Attributes:
        event_id (str):
        customer_id (str):
        type_ (str):
        occurred_at (datetime.datetime):
        amount (None | str): The amount as sent, in `currency`.
        currency (None | str):
        amount_base (None | str): The amount in the workspace's base currency at ingestion, rounded to its minor units:
            the number the metrics sum.
        fx_rate (None | str):
        properties (StoredEventProperties):
        received_at (datetime.datetime):
    """

    event_id: str
    customer_id: str
    type_: str
    occurred_at: datetime.datetime
    amount: None | str
    currency: None | str
    amount_base: None | str
    fx_rate: None | str
    properties: StoredEventProperties
    received_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event_id = self.event_id

        customer_id = self.customer_id

        type_ = self.type_

        occurred_at = self.occurred_at.isoformat()

        amount: None | str
        amount = self.amount

        currency: None | str
        currency = self.currency

        amount_base: None | str
        amount_base = self.amount_base

        fx_rate: None | str
        fx_rate = self.fx_rate

        properties = self.properties.to_dict()

        received_at = self.received_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event_id": event_id,
                "customer_id": customer_id,
                "type": type_,
                "occurred_at": occurred_at,
                "amount": amount,
                "currency": currency,
                "amount_base": amount_base,
                "fx_rate": fx_rate,
                "properties": properties,
                "received_at": received_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.stored_event_properties import StoredEventProperties  # noqa: PLC0415

        d = dict(src_dict)
        event_id = d.pop("event_id")

        customer_id = d.pop("customer_id")

        type_ = d.pop("type")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        def _parse_amount(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        amount = _parse_amount(d.pop("amount"))

        def _parse_currency(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        currency = _parse_currency(d.pop("currency"))

        def _parse_amount_base(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        amount_base = _parse_amount_base(d.pop("amount_base"))

        def _parse_fx_rate(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        fx_rate = _parse_fx_rate(d.pop("fx_rate"))

        properties = StoredEventProperties.from_dict(d.pop("properties"))

        received_at = datetime.datetime.fromisoformat(d.pop("received_at"))

        stored_event = cls(
            event_id=event_id,
            customer_id=customer_id,
            type_=type_,
            occurred_at=occurred_at,
            amount=amount,
            currency=currency,
            amount_base=amount_base,
            fx_rate=fx_rate,
            properties=properties,
            received_at=received_at,
        )

        stored_event.additional_properties = d
        return stored_event

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
