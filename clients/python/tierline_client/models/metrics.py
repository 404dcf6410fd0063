from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Metrics")


@_attrs_define
class Metrics:
    """Built-in metrics, `<type>_count` for every event type the customer has, and the
    workspace's user-defined metrics (counts as integers, other values as decimal strings,
    null when there is no value yet or the metric is still being backfilled).

    Money is in the workspace's base currency, as `Money` (spend, refunds,
    `predicted_clv_365d`, and a user-defined `sum`, `min`, `max` or `last` of `amount`) or
    `MoneyAverage` (`avg_order_value`, `expected_order_value`, a user-defined `avg` of
    `amount`); a user-defined metric of another property is a plain decimal string.

        Attributes:
            order_count (int):
            lifetime_spend (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an
                exact decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in
                KWD. An amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-
                even, to those units; totals and windows are sums of such amounts. It is the one number that is stored, compared
                by tier rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports.
                Only an amount sent in the base currency with more decimals than its minor units keeps them, and so does what is
                summed from it.
            refund_total (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an
                exact decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in
                KWD. An amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-
                even, to those units; totals and windows are sums of such amounts. It is the one number that is stored, compared
                by tier rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports.
                Only an amount sent in the base currency with more decimals than its minor units keeps them, and so does what is
                summed from it.
            avg_order_value (None | str): Order amounts (before refunds) / order count, rounded half-even to 4 places; null
                without orders.
            first_order_at (datetime.datetime | None):
            last_order_at (datetime.datetime | None):
            last_event_at (datetime.datetime | None):
            days_since_last_order (int | None): Midnights (UTC) since the last order's date.
            spend_30d (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an exact
                decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in KWD. An
                amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-even, to
                those units; totals and windows are sums of such amounts. It is the one number that is stored, compared by tier
                rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports. Only an
                amount sent in the base currency with more decimals than its minor units keeps them, and so does what is summed
                from it.
            spend_90d (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an exact
                decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in KWD. An
                amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-even, to
                those units; totals and windows are sums of such amounts. It is the one number that is stored, compared by tier
                rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports. Only an
                amount sent in the base currency with more decimals than its minor units keeps them, and so does what is summed
                from it.
            spend_365d (str): An amount in the workspace's base currency (`base_currency` of `GET /v1/workspace`) as an
                exact decimal string with the currency's minor units: `"91.91"` in EUR or USD, `"1578"` in JPY, `"12.345"` in
                KWD. An amount in another currency is converted on arrival at the workspace's rate and rounded then, once, half-
                even, to those units; totals and windows are sums of such amounts. It is the one number that is stored, compared
                by tier rules and segments (a threshold of `"91.91"` holds for it), shown in explanations, webhooks and exports.
                Only an amount sent in the base currency with more decimals than its minor units keeps them, and so does what is
                summed from it.
            orders_30d (int):
            orders_90d (int):
            orders_365d (int):
            rfm_r (int | None): RFM scores, 1-5, as of the workspace's last RFM refresh; null without orders or before the
                first refresh.
            rfm_f (int | None):
            rfm_m (int | None):
            rfm_fm (int | None):
            p_alive (None | str): The CLV model's predictions (null without a model or an order): the probability of being
                alive, rounded to 4 places.
            expected_orders_90d (None | str): Purchase days expected in the next 90 days, rounded to 4 places.
            expected_orders_365d (None | str):
            expected_order_value (None | str): Expected spend per purchase, rounded to cents (2 places, or the currency's
                minor units where it has more).
            predicted_clv_365d (None | str): Expected purchases times expected order value over 365 days, discounted by the
                workspace's `clv_discount_rate`, rounded to the currency's minor units.
    """

    order_count: int
    lifetime_spend: str
    refund_total: str
    avg_order_value: None | str
    first_order_at: datetime.datetime | None
    last_order_at: datetime.datetime | None
    last_event_at: datetime.datetime | None
    days_since_last_order: int | None
    spend_30d: str
    spend_90d: str
    spend_365d: str
    orders_30d: int
    orders_90d: int
    orders_365d: int
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    rfm_fm: int | None
    p_alive: None | str
    expected_orders_90d: None | str
    expected_orders_365d: None | str
    expected_order_value: None | str
    predicted_clv_365d: None | str
    additional_properties: dict[str, int | None | str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        order_count = self.order_count

        lifetime_spend = self.lifetime_spend

        refund_total = self.refund_total

        avg_order_value: None | str
        avg_order_value = self.avg_order_value

        first_order_at: None | str
        if isinstance(self.first_order_at, datetime.datetime):
            first_order_at = self.first_order_at.isoformat()
        else:
            first_order_at = self.first_order_at

        last_order_at: None | str
        if isinstance(self.last_order_at, datetime.datetime):
            last_order_at = self.last_order_at.isoformat()
        else:
            last_order_at = self.last_order_at

        last_event_at: None | str
        if isinstance(self.last_event_at, datetime.datetime):
            last_event_at = self.last_event_at.isoformat()
        else:
            last_event_at = self.last_event_at

        days_since_last_order: int | None
        days_since_last_order = self.days_since_last_order

        spend_30d = self.spend_30d

        spend_90d = self.spend_90d

        spend_365d = self.spend_365d

        orders_30d = self.orders_30d

        orders_90d = self.orders_90d

        orders_365d = self.orders_365d

        rfm_r: int | None
        rfm_r = self.rfm_r

        rfm_f: int | None
        rfm_f = self.rfm_f

        rfm_m: int | None
        rfm_m = self.rfm_m

        rfm_fm: int | None
        rfm_fm = self.rfm_fm

        p_alive: None | str
        p_alive = self.p_alive

        expected_orders_90d: None | str
        expected_orders_90d = self.expected_orders_90d

        expected_orders_365d: None | str
        expected_orders_365d = self.expected_orders_365d

        expected_order_value: None | str
        expected_order_value = self.expected_order_value

        predicted_clv_365d: None | str
        predicted_clv_365d = self.predicted_clv_365d

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop

        field_dict.update(
            {
                "order_count": order_count,
                "lifetime_spend": lifetime_spend,
                "refund_total": refund_total,
                "avg_order_value": avg_order_value,
                "first_order_at": first_order_at,
                "last_order_at": last_order_at,
                "last_event_at": last_event_at,
                "days_since_last_order": days_since_last_order,
                "spend_30d": spend_30d,
                "spend_90d": spend_90d,
                "spend_365d": spend_365d,
                "orders_30d": orders_30d,
                "orders_90d": orders_90d,
                "orders_365d": orders_365d,
                "rfm_r": rfm_r,
                "rfm_f": rfm_f,
                "rfm_m": rfm_m,
                "rfm_fm": rfm_fm,
                "p_alive": p_alive,
                "expected_orders_90d": expected_orders_90d,
                "expected_orders_365d": expected_orders_365d,
                "expected_order_value": expected_order_value,
                "predicted_clv_365d": predicted_clv_365d,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        order_count = d.pop("order_count")

        lifetime_spend = d.pop("lifetime_spend")

        refund_total = d.pop("refund_total")

        def _parse_avg_order_value(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        avg_order_value = _parse_avg_order_value(d.pop("avg_order_value"))

        def _parse_first_order_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                first_order_at_type_0 = datetime.datetime.fromisoformat(data)

                return first_order_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        first_order_at = _parse_first_order_at(d.pop("first_order_at"))

        def _parse_last_order_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_order_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_order_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_order_at = _parse_last_order_at(d.pop("last_order_at"))

        def _parse_last_event_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_event_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_event_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_event_at = _parse_last_event_at(d.pop("last_event_at"))

        def _parse_days_since_last_order(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        days_since_last_order = _parse_days_since_last_order(d.pop("days_since_last_order"))

        spend_30d = d.pop("spend_30d")

        spend_90d = d.pop("spend_90d")

        spend_365d = d.pop("spend_365d")

        orders_30d = d.pop("orders_30d")

        orders_90d = d.pop("orders_90d")

        orders_365d = d.pop("orders_365d")

        def _parse_rfm_r(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        rfm_r = _parse_rfm_r(d.pop("rfm_r"))

        def _parse_rfm_f(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        rfm_f = _parse_rfm_f(d.pop("rfm_f"))

        def _parse_rfm_m(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        rfm_m = _parse_rfm_m(d.pop("rfm_m"))

        def _parse_rfm_fm(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        rfm_fm = _parse_rfm_fm(d.pop("rfm_fm"))

        def _parse_p_alive(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        p_alive = _parse_p_alive(d.pop("p_alive"))

        def _parse_expected_orders_90d(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        expected_orders_90d = _parse_expected_orders_90d(d.pop("expected_orders_90d"))

        def _parse_expected_orders_365d(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        expected_orders_365d = _parse_expected_orders_365d(d.pop("expected_orders_365d"))

        def _parse_expected_order_value(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        expected_order_value = _parse_expected_order_value(d.pop("expected_order_value"))

        def _parse_predicted_clv_365d(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        predicted_clv_365d = _parse_predicted_clv_365d(d.pop("predicted_clv_365d"))

        metrics = cls(
            order_count=order_count,
            lifetime_spend=lifetime_spend,
            refund_total=refund_total,
            avg_order_value=avg_order_value,
            first_order_at=first_order_at,
            last_order_at=last_order_at,
            last_event_at=last_event_at,
            days_since_last_order=days_since_last_order,
            spend_30d=spend_30d,
            spend_90d=spend_90d,
            spend_365d=spend_365d,
            orders_30d=orders_30d,
            orders_90d=orders_90d,
            orders_365d=orders_365d,
            rfm_r=rfm_r,
            rfm_f=rfm_f,
            rfm_m=rfm_m,
            rfm_fm=rfm_fm,
            p_alive=p_alive,
            expected_orders_90d=expected_orders_90d,
            expected_orders_365d=expected_orders_365d,
            expected_order_value=expected_order_value,
            predicted_clv_365d=predicted_clv_365d,
        )

        additional_properties = {}
        for prop_name, prop_dict in d.items():

            def _parse_additional_property(data: object) -> int | None | str:
                if data is None:
                    return data
                return cast(int | None | str, data)

            additional_property = _parse_additional_property(prop_dict)

            additional_properties[prop_name] = additional_property

        metrics.additional_properties = additional_properties
        return metrics

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> int | None | str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: int | None | str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
