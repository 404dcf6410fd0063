from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkspaceCreate")


@_attrs_define
class WorkspaceCreate:
    """
    Attributes:
        slug (str): Lowercase letters, digits and '-', at most 63.
        name (str):
        base_currency (str | Unset): ISO 4217 code, upper case. Default: 'EUR'.
    """

    slug: str
    name: str
    base_currency: str | Unset = "EUR"

    def to_dict(self) -> dict[str, Any]:
        slug = self.slug

        name = self.name

        base_currency = self.base_currency

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "slug": slug,
                "name": name,
            }
        )
        if base_currency is not UNSET:
            field_dict["base_currency"] = base_currency

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        slug = d.pop("slug")

        name = d.pop("name")

        base_currency = d.pop("base_currency", UNSET)

        workspace_create = cls(
            slug=slug,
            name=name,
            base_currency=base_currency,
        )

        return workspace_create
