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
        revenue (str): Their orders minus their refunds over the period's days, in the workspace's base currency.
        orders (int): Their orders in the period.
        average_order_value (None | str): Order amounts (before refunds) divided by `orders`, rounded half-even to
            cents; `null` without orders.
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
