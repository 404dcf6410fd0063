from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PendingDowngrade")


@_attrs_define
class PendingDowngrade:
    """
    Attributes:
        to (str): The tier the customer qualifies for now.
        since (datetime.datetime): When the customer stopped qualifying for its tier.
        at (datetime.datetime): When the downgrade happens unless the customer qualifies.
    """

    to: str
    since: datetime.datetime
    at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        to = self.to

        since = self.since.isoformat()

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "to": to,
                "since": since,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        to = d.pop("to")

        since = datetime.datetime.fromisoformat(d.pop("since"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        pending_downgrade = cls(
            to=to,
            since=since,
            at=at,
        )

        pending_downgrade.additional_properties = d
        return pending_downgrade

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
