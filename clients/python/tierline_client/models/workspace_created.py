from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.api_key_created import ApiKeyCreated
    from ..models.workspace import Workspace


T = TypeVar("T", bound="WorkspaceCreated")


@_attrs_define
class WorkspaceCreated:
    """
    Attributes:
        workspace (Workspace):
        admin_key (ApiKeyCreated):
    """

    workspace: Workspace
    admin_key: ApiKeyCreated
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        workspace = self.workspace.to_dict()

        admin_key = self.admin_key.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "workspace": workspace,
                "admin_key": admin_key,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.api_key_created import ApiKeyCreated  # noqa: PLC0415
        from ..models.workspace import Workspace  # noqa: PLC0415

        d = dict(src_dict)
        workspace = Workspace.from_dict(d.pop("workspace"))

        admin_key = ApiKeyCreated.from_dict(d.pop("admin_key"))

        workspace_created = cls(
            workspace=workspace,
            admin_key=admin_key,
        )

        workspace_created.additional_properties = d
        return workspace_created

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
