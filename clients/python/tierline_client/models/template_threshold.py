from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.template_threshold_kind import TemplateThresholdKind

T = TypeVar("T", bound="TemplateThreshold")


@_attrs_define
class TemplateThreshold:
    """
    Attributes:
        kind (TemplateThresholdKind): `money`: an amount (number or decimal string); `count`: a whole number; `days`:
            whole days, 1-3650; `keys`: a list of strings; `probability`: 0 to 1.
        default (Any):
        description (str):
    """

    kind: TemplateThresholdKind
    default: Any
    description: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        default = self.default

        description = self.description

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "kind": kind,
                "default": default,
                "description": description,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        kind = TemplateThresholdKind(d.pop("kind"))

        default = d.pop("default")

        description = d.pop("description")

        template_threshold = cls(
            kind=kind,
            default=default,
            description=description,
        )

        template_threshold.additional_properties = d
        return template_threshold

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
