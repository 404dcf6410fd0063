from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.ping_data import PingData


T = TypeVar("T", bound="Ping")


@_attrs_define
class Ping:
    """Sent by `POST /v1/webhooks/endpoints/{endpoint_id}/test` only.

    Attributes:
        type_ (Literal['ping']):
        timestamp (datetime.datetime):
        data (PingData):
    """

    type_: Literal["ping"]
    timestamp: datetime.datetime
    data: PingData

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        timestamp = self.timestamp.isoformat()

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "timestamp": timestamp,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.ping_data import PingData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["ping"], d.pop("type"))
        if type_ != "ping":
            raise ValueError(f"type must match const 'ping', got '{type_}'")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        data = PingData.from_dict(d.pop("data"))

        ping = cls(
            type_=type_,
            timestamp=timestamp,
            data=data,
        )

        return ping
