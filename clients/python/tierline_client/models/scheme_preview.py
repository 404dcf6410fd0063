from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.preview_cell import PreviewCell


T = TypeVar("T", bound="SchemePreview")


@_attrs_define
class SchemePreview:
    """
    Attributes:
        scheme (str):
        transitions (list[PreviewCell]): The moves saving the proposal would make at once, by from and to tier.
        held_back (list[PreviewCell]): Downgrades the proposal calls for that downgrade grace or minimum tenure would
            hold back for now (with `grace_on_change: false` they are transitions).
        webhook_messages (int): `customer.tier_changed` messages saving it would send to the endpoints subscribed now (0
            with `notify: false`). Entries and exits of segments that read the scheme are not counted.
    """

    scheme: str
    transitions: list[PreviewCell]
    held_back: list[PreviewCell]
    webhook_messages: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        scheme = self.scheme

        transitions = []
        for transitions_item_data in self.transitions:
            transitions_item = transitions_item_data.to_dict()
            transitions.append(transitions_item)

        held_back = []
        for held_back_item_data in self.held_back:
            held_back_item = held_back_item_data.to_dict()
            held_back.append(held_back_item)

        webhook_messages = self.webhook_messages

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "scheme": scheme,
                "transitions": transitions,
                "held_back": held_back,
                "webhook_messages": webhook_messages,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.preview_cell import PreviewCell  # noqa: PLC0415

        d = dict(src_dict)
        scheme = d.pop("scheme")

        transitions = []
        _transitions = d.pop("transitions")
        for transitions_item_data in _transitions:
            transitions_item = PreviewCell.from_dict(transitions_item_data)

            transitions.append(transitions_item)

        held_back = []
        _held_back = d.pop("held_back")
        for held_back_item_data in _held_back:
            held_back_item = PreviewCell.from_dict(held_back_item_data)

            held_back.append(held_back_item)

        webhook_messages = d.pop("webhook_messages")

        scheme_preview = cls(
            scheme=scheme,
            transitions=transitions,
            held_back=held_back,
            webhook_messages=webhook_messages,
        )

        scheme_preview.additional_properties = d
        return scheme_preview

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
