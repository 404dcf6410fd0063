from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.event_in_properties import EventInProperties
    from ..models.event_in_traits_type_0 import EventInTraitsType0


T = TypeVar("T", bound="EventIn")


@_attrs_define
class EventIn:
    """One thing a customer did.

    Attributes:
        event_id (str): Your id for the event; the idempotency key within the workspace.
        customer_id (str): Your CRM's id for the customer (1-200 characters, no control characters, no '/'); used in
            every URL.
        type_ (str): `order`, `refund`, `visit`, `support_ticket`, `survey`, or your own name (lowercase letters, digits
            and `_`, at most 64).
        occurred_at (datetime.datetime): When it happened, with a timezone. Not before 1970, at most 5 minutes ahead.
        amount (float | None | str | Unset): Required for `order` and `refund`; exact decimal string, in `currency`.
            Converted on arrival into the workspace's base currency at its rate and rounded then, once, half-even, to that
            currency's minor units: the `Money` every metric sums (`amount_base` of the stored event).
        currency (None | str | Unset): Defaults to the workspace's `base_currency`.
        properties (EventInProperties | Unset): A JSON object, at most 16 KiB when serialised.
        traits (EventInTraitsType0 | None | Unset): Traits to merge into the customer's (a `null` value removes a
            trait). If the merged traits would pass 16 KiB as JSON, the event is refused (422, code `too_large`) and nothing
            of it is stored.
    """

    event_id: str
    customer_id: str
    type_: str
    occurred_at: datetime.datetime
    amount: float | None | str | Unset = UNSET
    currency: None | str | Unset = UNSET
    properties: EventInProperties | Unset = UNSET
    traits: EventInTraitsType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.event_in_traits_type_0 import EventInTraitsType0  # noqa: PLC0415

        event_id = self.event_id

        customer_id = self.customer_id

        type_ = self.type_

        occurred_at = self.occurred_at.isoformat()

        amount: float | None | str | Unset
        if isinstance(self.amount, Unset):
            amount = UNSET
        else:
            amount = self.amount

        currency: None | str | Unset
        if isinstance(self.currency, Unset):
            currency = UNSET
        else:
            currency = self.currency

        properties: dict[str, Any] | Unset = UNSET
        if not isinstance(self.properties, Unset):
            properties = self.properties.to_dict()

        traits: dict[str, Any] | None | Unset
        if isinstance(self.traits, Unset):
            traits = UNSET
        elif isinstance(self.traits, EventInTraitsType0):
            traits = self.traits.to_dict()
        else:
            traits = self.traits

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "event_id": event_id,
                "customer_id": customer_id,
                "type": type_,
                "occurred_at": occurred_at,
            }
        )
        if amount is not UNSET:
            field_dict["amount"] = amount
        if currency is not UNSET:
            field_dict["currency"] = currency
        if properties is not UNSET:
            field_dict["properties"] = properties
        if traits is not UNSET:
            field_dict["traits"] = traits

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_in_properties import EventInProperties  # noqa: PLC0415
        from ..models.event_in_traits_type_0 import EventInTraitsType0  # noqa: PLC0415

        d = dict(src_dict)
        event_id = d.pop("event_id")

        customer_id = d.pop("customer_id")

        type_ = d.pop("type")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        def _parse_amount(data: object) -> float | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | str | Unset, data)

        amount = _parse_amount(d.pop("amount", UNSET))

        def _parse_currency(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        currency = _parse_currency(d.pop("currency", UNSET))

        _properties = d.pop("properties", UNSET)
        properties: EventInProperties | Unset
        if isinstance(_properties, Unset):
            properties = UNSET
        else:
            properties = EventInProperties.from_dict(_properties)

        def _parse_traits(data: object) -> EventInTraitsType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                traits_type_0 = EventInTraitsType0.from_dict(data)

                return traits_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventInTraitsType0 | None | Unset, data)

        traits = _parse_traits(d.pop("traits", UNSET))

        event_in = cls(
            event_id=event_id,
            customer_id=customer_id,
            type_=type_,
            occurred_at=occurred_at,
            amount=amount,
            currency=currency,
            properties=properties,
            traits=traits,
        )

        return event_in
