from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tier_out import TierOut


T = TypeVar("T", bound="Scheme")


@_attrs_define
class Scheme:
    """
    Attributes:
        key (str):
        version (int):
        name (str):
        description (None | str):
        tiers (list[TierOut]):
        default_tier (str):
        downgrade_grace_days (int):
        min_days_in_tier (int):
        grace_on_change (bool):
        saved_at (datetime.datetime):
        saved_by (None | UUID): Id of the API key that saved this version.
        job_id (None | UUID): The background job applying this version to every customer (`GET /v1/jobs/{id}`).
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        archived_at (datetime.datetime | None): Set once the scheme is archived.
    """

    key: str
    version: int
    name: str
    description: None | str
    tiers: list[TierOut]
    default_tier: str
    downgrade_grace_days: int
    min_days_in_tier: int
    grace_on_change: bool
    saved_at: datetime.datetime
    saved_by: None | UUID
    job_id: None | UUID
    created_at: datetime.datetime
    updated_at: datetime.datetime
    archived_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        version = self.version

        name = self.name

        description: None | str
        description = self.description

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        default_tier = self.default_tier

        downgrade_grace_days = self.downgrade_grace_days

        min_days_in_tier = self.min_days_in_tier

        grace_on_change = self.grace_on_change

        saved_at = self.saved_at.isoformat()

        saved_by: None | str
        if isinstance(self.saved_by, UUID):
            saved_by = str(self.saved_by)
        else:
            saved_by = self.saved_by

        job_id: None | str
        if isinstance(self.job_id, UUID):
            job_id = str(self.job_id)
        else:
            job_id = self.job_id

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        archived_at: None | str
        if isinstance(self.archived_at, datetime.datetime):
            archived_at = self.archived_at.isoformat()
        else:
            archived_at = self.archived_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "version": version,
                "name": name,
                "description": description,
                "tiers": tiers,
                "default_tier": default_tier,
                "downgrade_grace_days": downgrade_grace_days,
                "min_days_in_tier": min_days_in_tier,
                "grace_on_change": grace_on_change,
                "saved_at": saved_at,
                "saved_by": saved_by,
                "job_id": job_id,
                "created_at": created_at,
                "updated_at": updated_at,
                "archived_at": archived_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tier_out import TierOut  # noqa: PLC0415

        d = dict(src_dict)
        key = d.pop("key")

        version = d.pop("version")

        name = d.pop("name")

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = TierOut.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        default_tier = d.pop("default_tier")

        downgrade_grace_days = d.pop("downgrade_grace_days")

        min_days_in_tier = d.pop("min_days_in_tier")

        grace_on_change = d.pop("grace_on_change")

        saved_at = datetime.datetime.fromisoformat(d.pop("saved_at"))

        def _parse_saved_by(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                saved_by_type_0 = UUID(data)

                return saved_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        saved_by = _parse_saved_by(d.pop("saved_by"))

        def _parse_job_id(data: object) -> None | UUID:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                job_id_type_0 = UUID(data)

                return job_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | UUID, data)

        job_id = _parse_job_id(d.pop("job_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_archived_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                archived_at_type_0 = datetime.datetime.fromisoformat(data)

                return archived_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        archived_at = _parse_archived_at(d.pop("archived_at"))

        scheme = cls(
            key=key,
            version=version,
            name=name,
            description=description,
            tiers=tiers,
            default_tier=default_tier,
            downgrade_grace_days=downgrade_grace_days,
            min_days_in_tier=min_days_in_tier,
            grace_on_change=grace_on_change,
            saved_at=saved_at,
            saved_by=saved_by,
            job_id=job_id,
            created_at=created_at,
            updated_at=updated_at,
            archived_at=archived_at,
        )

        scheme.additional_properties = d
        return scheme

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
