from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_flow import TierFlow
    from ..models.transition import Transition


T = TypeVar("T", bound="TierTransitions")


@_attrs_define
class TierTransitions:
    """
    Attributes:
        scheme (str): The scheme's key.
        from_ (datetime.datetime): Start of the period, inclusive.
        to (datetime.datetime): End of the period, exclusive.
        transitions (list[Transition]): Counts of tier changes between two tiers, by `from` then `to`. A customer who
            moved twice counts twice.
        entered (list[TierFlow]): First tiers in the scheme given in the period (changes from no tier): new customers,
            and every customer when the scheme is created or saved again after being archived; by tier key.
        left (list[TierFlow]): Customers erased from the workspace in the period, by the tier they held then, by tier
            key.
    """

    scheme: str
    from_: datetime.datetime
    to: datetime.datetime
    transitions: list[Transition]
    entered: list[TierFlow]
    left: list[TierFlow]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scheme = self.scheme

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        transitions = []
        for transitions_item_data in self.transitions:
            transitions_item = transitions_item_data.to_dict()
            transitions.append(transitions_item)

        entered = []
        for entered_item_data in self.entered:
            entered_item = entered_item_data.to_dict()
            entered.append(entered_item)

        left = []
        for left_item_data in self.left:
            left_item = left_item_data.to_dict()
            left.append(left_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scheme": scheme,
                "from": from_,
                "to": to,
                "transitions": transitions,
                "entered": entered,
                "left": left,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_flow import TierFlow  # noqa: PLC0415
        from ..models.transition import Transition  # noqa: PLC0415

        d = dict(src_dict)
        scheme = d.pop("scheme")

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        to = datetime.datetime.fromisoformat(d.pop("to"))

        transitions = []
        _transitions = d.pop("transitions")
        for transitions_item_data in _transitions:
            transitions_item = Transition.from_dict(transitions_item_data)

            transitions.append(transitions_item)

        entered = []
        _entered = d.pop("entered")
        for entered_item_data in _entered:
            entered_item = TierFlow.from_dict(entered_item_data)

            entered.append(entered_item)

        left = []
        _left = d.pop("left")
        for left_item_data in _left:
            left_item = TierFlow.from_dict(left_item_data)

            left.append(left_item)

        tier_transitions = cls(
            scheme=scheme,
            from_=from_,
            to=to,
            transitions=transitions,
            entered=entered,
            left=left,
        )

        tier_transitions.additional_properties = d
        return tier_transitions

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
