from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.template_out_scheme import TemplateOutScheme
    from ..models.template_out_segments import TemplateOutSegments
    from ..models.template_out_thresholds import TemplateOutThresholds


T = TypeVar("T", bound="TemplateOut")


@_attrs_define
class TemplateOut:
    """
    Attributes:
        name (str):
        title (str):
        description (str):
        thresholds (TemplateOutThresholds):
        scheme (TemplateOutScheme): The scheme it installs with the default thresholds (a `PUT /v1/schemes/{key}` body).
        segments (TemplateOutSegments): The segments it saves beside the scheme, by key (`PUT /v1/segments/{key}`
            bodies); installing them needs the scope `segments:write` too.
    """

    name: str
    title: str
    description: str
    thresholds: TemplateOutThresholds
    scheme: TemplateOutScheme
    segments: TemplateOutSegments
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        title = self.title

        description = self.description

        thresholds = self.thresholds.to_dict()

        scheme = self.scheme.to_dict()

        segments = self.segments.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "title": title,
                "description": description,
                "thresholds": thresholds,
                "scheme": scheme,
                "segments": segments,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.template_out_scheme import TemplateOutScheme  # noqa: PLC0415
        from ..models.template_out_segments import TemplateOutSegments  # noqa: PLC0415
        from ..models.template_out_thresholds import TemplateOutThresholds  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        title = d.pop("title")

        description = d.pop("description")

        thresholds = TemplateOutThresholds.from_dict(d.pop("thresholds"))

        scheme = TemplateOutScheme.from_dict(d.pop("scheme"))

        segments = TemplateOutSegments.from_dict(d.pop("segments"))

        template_out = cls(
            name=name,
            title=title,
            description=description,
            thresholds=thresholds,
            scheme=scheme,
            segments=segments,
        )

        template_out.additional_properties = d
        return template_out

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
