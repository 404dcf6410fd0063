from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkspaceUpdate")


@_attrs_define
class WorkspaceUpdate:
    """
    Attributes:
        name (None | str | Unset):
        base_currency (None | str | Unset):
        clv_discount_rate (float | None | str | Unset): From 0 (included) to 1 (excluded). Changing it recomputes every
            customer's `predicted_clv_365d` (history reason `prediction_refresh`).
        clv_refit_days (int | None | Unset): 0 to 365; 0 turns scheduled refits off.
    """

    name: None | str | Unset = UNSET
    base_currency: None | str | Unset = UNSET
    clv_discount_rate: float | None | str | Unset = UNSET
    clv_refit_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        base_currency: None | str | Unset
        if isinstance(self.base_currency, Unset):
            base_currency = UNSET
        else:
            base_currency = self.base_currency

        clv_discount_rate: float | None | str | Unset
        if isinstance(self.clv_discount_rate, Unset):
            clv_discount_rate = UNSET
        else:
            clv_discount_rate = self.clv_discount_rate

        clv_refit_days: int | None | Unset
        if isinstance(self.clv_refit_days, Unset):
            clv_refit_days = UNSET
        else:
            clv_refit_days = self.clv_refit_days

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if name is not UNSET:
            field_dict["name"] = name
        if base_currency is not UNSET:
            field_dict["base_currency"] = base_currency
        if clv_discount_rate is not UNSET:
            field_dict["clv_discount_rate"] = clv_discount_rate
        if clv_refit_days is not UNSET:
            field_dict["clv_refit_days"] = clv_refit_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_base_currency(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        base_currency = _parse_base_currency(d.pop("base_currency", UNSET))

        def _parse_clv_discount_rate(data: object) -> float | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | str | Unset, data)

        clv_discount_rate = _parse_clv_discount_rate(d.pop("clv_discount_rate", UNSET))

        def _parse_clv_refit_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        clv_refit_days = _parse_clv_refit_days(d.pop("clv_refit_days", UNSET))

        workspace_update = cls(
            name=name,
            base_currency=base_currency,
            clv_discount_rate=clv_discount_rate,
            clv_refit_days=clv_refit_days,
        )

        return workspace_update
