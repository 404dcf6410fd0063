from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.explained_tier import ExplainedTier
    from ..models.keep_tier import KeepTier
    from ..models.next_tier import NextTier
    from ..models.tier_assignment import TierAssignment


T = TypeVar("T", bound="TierExplanation")


@_attrs_define
class TierExplanation:
    """
    Attributes:
        customer_id (str):
        scheme (str):
        version (int): The scheme's current version, the one explained.
        evaluated_at (datetime.datetime): Now: windowed metrics are as of this moment.
        current (None | TierAssignment): The stored tier, as the profile shows it, with a downgrade that grace or tenure
            holds back; null when the customer has no tier in the scheme yet.
        qualifies_for (str): The first tier whose condition holds now, else the default tier: the tier classification
            gives (it equals `current.tier` unless a downgrade is pending).
        pending_metrics (list[str]): Metrics the scheme reads that are still being backfilled; until they are done the
            stored tier is kept and they read as null here.
        tiers (list[ExplainedTier]): From the top tier down to the current tier, or the qualified one if lower, each
            condition with every comparison's threshold, the customer's value and whether it holds.
        next_tier (NextTier | None): The first tier above the current one (above the qualified one when the customer has
            no tier yet); null at the top.
        keep_tier (KeepTier | None): How the current tier is kept or lost; null when the customer has no tier or holds
            the default tier (left only by qualifying for a higher one).
    """

    customer_id: str
    scheme: str
    version: int
    evaluated_at: datetime.datetime
    current: None | TierAssignment
    qualifies_for: str
    pending_metrics: list[str]
    tiers: list[ExplainedTier]
    next_tier: NextTier | None
    keep_tier: KeepTier | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.keep_tier import KeepTier  # noqa: PLC0415
        from ..models.next_tier import NextTier  # noqa: PLC0415
        from ..models.tier_assignment import TierAssignment  # noqa: PLC0415

        customer_id = self.customer_id

        scheme = self.scheme

        version = self.version

        evaluated_at = self.evaluated_at.isoformat()

        current: dict[str, Any] | None
        if isinstance(self.current, TierAssignment):
            current = self.current.to_dict()
        else:
            current = self.current

        qualifies_for = self.qualifies_for

        pending_metrics = self.pending_metrics

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        next_tier: dict[str, Any] | None
        if isinstance(self.next_tier, NextTier):
            next_tier = self.next_tier.to_dict()
        else:
            next_tier = self.next_tier

        keep_tier: dict[str, Any] | None
        if isinstance(self.keep_tier, KeepTier):
            keep_tier = self.keep_tier.to_dict()
        else:
            keep_tier = self.keep_tier

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "customer_id": customer_id,
                "scheme": scheme,
                "version": version,
                "evaluated_at": evaluated_at,
                "current": current,
                "qualifies_for": qualifies_for,
                "pending_metrics": pending_metrics,
                "tiers": tiers,
                "next_tier": next_tier,
                "keep_tier": keep_tier,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.explained_tier import ExplainedTier  # noqa: PLC0415
        from ..models.keep_tier import KeepTier  # noqa: PLC0415
        from ..models.next_tier import NextTier  # noqa: PLC0415
        from ..models.tier_assignment import TierAssignment  # noqa: PLC0415

        d = dict(src_dict)
        customer_id = d.pop("customer_id")

        scheme = d.pop("scheme")

        version = d.pop("version")

        evaluated_at = datetime.datetime.fromisoformat(d.pop("evaluated_at"))

        def _parse_current(data: object) -> None | TierAssignment:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                current_type_0 = TierAssignment.from_dict(data)

                return current_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TierAssignment, data)

        current = _parse_current(d.pop("current"))

        qualifies_for = d.pop("qualifies_for")

        pending_metrics = cast(list[str], d.pop("pending_metrics"))

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = ExplainedTier.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        def _parse_next_tier(data: object) -> NextTier | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_tier_type_0 = NextTier.from_dict(data)

                return next_tier_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(NextTier | None, data)

        next_tier = _parse_next_tier(d.pop("next_tier"))

        def _parse_keep_tier(data: object) -> KeepTier | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                keep_tier_type_0 = KeepTier.from_dict(data)

                return keep_tier_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KeepTier | None, data)

        keep_tier = _parse_keep_tier(d.pop("keep_tier"))

        tier_explanation = cls(
            customer_id=customer_id,
            scheme=scheme,
            version=version,
            evaluated_at=evaluated_at,
            current=current,
            qualifies_for=qualifies_for,
            pending_metrics=pending_metrics,
            tiers=tiers,
            next_tier=next_tier,
            keep_tier=keep_tier,
        )

        tier_explanation.additional_properties = d
        return tier_explanation

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
