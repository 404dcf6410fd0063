from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TierPerformance")


@_attrs_define
class TierPerformance:
    """
    Attributes:
        tier (None | str): The tier held at the start of the period; `null` for customers who held no tier then but got
            their first tier or ordered during the period (newcomers).
        customers (int): Customers in this row.
        revenue (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an exact
            decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in KWD. An
            amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-even, to
            those units; totals and windows are sums of such amounts. It is the one number that is stored, compared by tier
            rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports. Only an
            amount sent in the base currency with more decimals than its minor units keeps them, and so does what is summed
            from it.
        orders (int): Their orders in the period.
        average_order_value (None | str): Order amounts (before refunds) divided by `orders`, rounded half-even to cents
            (2 places, or the currency's minor units where it has more); `null` without orders.
        retention (None | str): Share of `customers` who ordered at least once in the period (4 places, rounded half-
            even); `null` when `customers` is 0.
    """

    tier: None | str
    customers: int
    revenue: str
    orders: int
    average_order_value: None | str
    retention: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tier: None | str
        tier = self.tier

        customers = self.customers

        revenue = self.revenue

        orders = self.orders

        average_order_value: None | str
        average_order_value = self.average_order_value

        retention: None | str
        retention = self.retention

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tier": tier,
                "customers": customers,
                "revenue": revenue,
                "orders": orders,
                "average_order_value": average_order_value,
                "retention": retention,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_tier(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        tier = _parse_tier(d.pop("tier"))

        customers = d.pop("customers")

        revenue = d.pop("revenue")

        orders = d.pop("orders")

        def _parse_average_order_value(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        average_order_value = _parse_average_order_value(d.pop("average_order_value"))

        def _parse_retention(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        retention = _parse_retention(d.pop("retention"))

        tier_performance = cls(
            tier=tier,
            customers=customers,
            revenue=revenue,
            orders=orders,
            average_order_value=average_order_value,
            retention=retention,
        )

        tier_performance.additional_properties = d
        return tier_performance

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
