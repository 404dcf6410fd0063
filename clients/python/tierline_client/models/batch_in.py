from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..models.batch_in_mode import BatchInMode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.batch_in_events_item import BatchInEventsItem


T = TypeVar("T", bound="BatchIn")


@_attrs_define
class BatchIn:
    """
    Attributes:
        events (list[BatchInEventsItem]): Up to 1,000 events, each as in `POST /v1/events`; each is judged alone.
        mode (BatchInMode | Unset): `normal`: each event goes through the write path of `POST /v1/events`. `backfill`:
            for loading history, the same path as `tierline import`: the batch is stored and folded into the customers set-
            based, several times faster. The results and the metrics are the same, except that traits are merged in
            `occurred_at` order within the batch (the normal mode merges them in arrival order). Default:
            BatchInMode.NORMAL.
        notify (bool | Unset): Backfill mode: whether webhooks go out for the net change of each customer the batch
            touches (one message per scheme or segment the customer moved in, reason `import`). Off by default, so loading
            history does not flood subscribers. Default: False.
    """

    events: list[BatchInEventsItem]
    mode: BatchInMode | Unset = BatchInMode.NORMAL
    notify: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        mode: str | Unset = UNSET
        if not isinstance(self.mode, Unset):
            mode = self.mode.value

        notify = self.notify

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
            }
        )
        if mode is not UNSET:
            field_dict["mode"] = mode
        if notify is not UNSET:
            field_dict["notify"] = notify

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.batch_in_events_item import BatchInEventsItem  # noqa: PLC0415

        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = BatchInEventsItem.from_dict(events_item_data)

            events.append(events_item)

        _mode = d.pop("mode", UNSET)
        mode: BatchInMode | Unset
        if isinstance(_mode, Unset):
            mode = UNSET
        else:
            mode = BatchInMode(_mode)

        notify = d.pop("notify", UNSET)

        batch_in = cls(
            events=events,
            mode=mode,
            notify=notify,
        )

        return batch_in
