from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.template_in_thresholds import TemplateInThresholds


T = TypeVar("T", bound="TemplateIn")


@_attrs_define
class TemplateIn:
    """
    Attributes:
        key (None | str | Unset): The scheme's key; default: the template's name.
        thresholds (TemplateInThresholds | Unset): Values in place of the template's defaults, by name (`GET
            /v1/schemes/templates` lists them with their types).
        notify (bool | Unset): `false`: the tier changes installing it causes send no webhooks. Default: True.
    """

    key: None | str | Unset = UNSET
    thresholds: TemplateInThresholds | Unset = UNSET
    notify: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key

        thresholds: dict[str, Any] | Unset = UNSET
        if not isinstance(self.thresholds, Unset):
            thresholds = self.thresholds.to_dict()

        notify = self.notify

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if key is not UNSET:
            field_dict["key"] = key
        if thresholds is not UNSET:
            field_dict["thresholds"] = thresholds
        if notify is not UNSET:
            field_dict["notify"] = notify

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.template_in_thresholds import TemplateInThresholds  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key = _parse_key(d.pop("key", UNSET))

        _thresholds = d.pop("thresholds", UNSET)
        thresholds: TemplateInThresholds | Unset
        if isinstance(_thresholds, Unset):
            thresholds = UNSET
        else:
            thresholds = TemplateInThresholds.from_dict(_thresholds)

        notify = d.pop("notify", UNSET)

        template_in = cls(
            key=key,
            thresholds=thresholds,
            notify=notify,
        )

        return template_in
