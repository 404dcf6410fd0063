from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.tier_changed_data_direction_type_0 import TierChangedDataDirectionType0
from ..models.tier_changed_data_reason import TierChangedDataReason

if TYPE_CHECKING:
    from ..models.tier_changed_data_metrics import TierChangedDataMetrics


T = TypeVar("T", bound="TierChangedData")


@_attrs_define
class TierChangedData:
    """
    Attributes:
        customer_id (str):
        scheme (str):
        scheme_version (int):
        from_tier (None | str): Null for the customer's first tier here.
        to_tier (str):
        direction (None | TierChangedDataDirectionType0): `entered`: the customer's first tier in the scheme; `up`:
            towards the scheme's first tier; `down`: towards its default tier; null when the old tier is no longer in the
            scheme.
        reason (TierChangedDataReason):
        changed_at (datetime.datetime):
        metrics (TierChangedDataMetrics): The values the scheme's rules read, each as the customer's profile shows it
            (schema `Metrics`): money in the workspace's base currency as `Money` or `MoneyAverage` strings, counts as
            integers.
        sequence (int): Increases with each of the customer's messages: order by it, not by arrival.
    """

    customer_id: str
    scheme: str
    scheme_version: int
    from_tier: None | str
    to_tier: str
    direction: None | TierChangedDataDirectionType0
    reason: TierChangedDataReason
    changed_at: datetime.datetime
    metrics: TierChangedDataMetrics
    sequence: int

    def to_dict(self) -> dict[str, Any]:
        customer_id = self.customer_id

        scheme = self.scheme

        scheme_version = self.scheme_version

        from_tier: None | str
        from_tier = self.from_tier

        to_tier = self.to_tier

        direction: None | str
        if isinstance(self.direction, TierChangedDataDirectionType0):
            direction = self.direction.value
        else:
            direction = self.direction

        reason = self.reason.value

        changed_at = self.changed_at.isoformat()

        metrics = self.metrics.to_dict()

        sequence = self.sequence

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "customer_id": customer_id,
                "scheme": scheme,
                "scheme_version": scheme_version,
                "from_tier": from_tier,
                "to_tier": to_tier,
                "direction": direction,
                "reason": reason,
                "changed_at": changed_at,
                "metrics": metrics,
                "sequence": sequence,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_changed_data_metrics import TierChangedDataMetrics  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        scheme = d.pop("scheme")

        scheme_version = d.pop("scheme_version")

        def _parse_from_tier(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        from_tier = _parse_from_tier(d.pop("from_tier"))

        to_tier = d.pop("to_tier")

        def _parse_direction(data: object) -> None | TierChangedDataDirectionType0:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                direction_type_0 = TierChangedDataDirectionType0(data)

                return direction_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TierChangedDataDirectionType0, data)

        direction = _parse_direction(d.pop("direction"))

        reason = TierChangedDataReason(d.pop("reason"))

        changed_at = datetime.datetime.fromisoformat(d.pop("changed_at"))

        metrics = TierChangedDataMetrics.from_dict(d.pop("metrics"))

        sequence = d.pop("sequence")

        tier_changed_data = cls(
            customer_id=customer_id,
            scheme=scheme,
            scheme_version=scheme_version,
            from_tier=from_tier,
            to_tier=to_tier,
            direction=direction,
            reason=reason,
            changed_at=changed_at,
            metrics=metrics,
            sequence=sequence,
        )

        return tier_changed_data
