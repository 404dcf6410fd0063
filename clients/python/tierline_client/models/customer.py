from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.customer_tiers import CustomerTiers
    from ..models.customer_traits import CustomerTraits
    from ..models.metrics import Metrics


T = TypeVar("T", bound="Customer")


@_attrs_define
class Customer:
    """
    Attributes:
        customer_id (str):
        traits (CustomerTraits):
        metrics (Metrics): Built-in metrics, `<type>_count` for every event type the customer has, and the
            workspace's user-defined metrics (counts as integers, other values as decimal strings,
            null when there is no value yet or the metric is still being backfilled).

            Money is in the workspace's base currency, as `Money` (spend, refunds,
            `predicted_clv_365d`, and a user-defined `sum`, `min`, `max` or `last` of `amount`) or
            `MoneyAverage` (`avg_order_value`, `expected_order_value`, a user-defined `avg` of
            `amount`); a user-defined metric of another property is a plain decimal string.
        pending_metrics (list[str]): User-defined metrics still being backfilled; they read as null until done.
        tiers (CustomerTiers): Current tier per active scheme, with a downgrade that grace holds back.
        next_review_at (datetime.datetime | None): Next moment at which this customer is re-classified with no new
            event: a windowed metric changes, a time comparison in a rule flips, or a pending downgrade falls due.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    customer_id: str
    traits: CustomerTraits
    metrics: Metrics
    pending_metrics: list[str]
    tiers: CustomerTiers
    next_review_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        traits = self.traits.to_dict()

        metrics = self.metrics.to_dict()

        pending_metrics = self.pending_metrics

        tiers = self.tiers.to_dict()

        next_review_at: None | str
        if isinstance(self.next_review_at, datetime.datetime):
            next_review_at = self.next_review_at.isoformat()
        else:
            next_review_at = self.next_review_at

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "customer_id": customer_id,
                "traits": traits,
                "metrics": metrics,
                "pending_metrics": pending_metrics,
                "tiers": tiers,
                "next_review_at": next_review_at,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.customer_tiers import CustomerTiers  # noqa: PLC0415
        from ..models.customer_traits import CustomerTraits  # noqa: PLC0415
        from ..models.metrics import Metrics  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        traits = CustomerTraits.from_dict(d.pop("traits"))

        metrics = Metrics.from_dict(d.pop("metrics"))

        pending_metrics = cast(list[str], d.pop("pending_metrics"))

        tiers = CustomerTiers.from_dict(d.pop("tiers"))

        def _parse_next_review_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_review_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_review_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_review_at = _parse_next_review_at(d.pop("next_review_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        customer = cls(
            customer_id=customer_id,
            traits=traits,
            metrics=metrics,
            pending_metrics=pending_metrics,
            tiers=tiers,
            next_review_at=next_review_at,
            created_at=created_at,
            updated_at=updated_at,
        )

        customer.additional_properties = d
        return customer

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
