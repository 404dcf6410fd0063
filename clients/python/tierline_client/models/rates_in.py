from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.rates_in_rates import RatesInRates


T = TypeVar("T", bound="RatesIn")


@_attrs_define
class RatesIn:
    """
    Attributes:
        rates (RatesInRates): Base-currency units per one unit of each currency. Replaces every rate; events already
            stored keep the amount converted when they arrived.
    """

    rates: RatesInRates

    def to_dict(self) -> dict[str, Any]:
        rates = self.rates.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "rates": rates,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rates_in_rates import RatesInRates  # noqa: PLC0415

        d = dict(src_dict)
        rates = RatesInRates.from_dict(d.pop("rates"))

        rates_in = cls(
            rates=rates,
        )

        return rates_in
