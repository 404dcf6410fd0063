from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.batch_item_result_status import BatchItemResultStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.problem import Problem
    from ..models.tier_change import TierChange


T = TypeVar("T", bound="BatchItemResult")


@_attrs_define
class BatchItemResult:
    """
    Attributes:
        event_id (None | str):
        status (BatchItemResultStatus):
        problem (None | Problem | Unset): Why the item was rejected (problem+json fields).
        tier_changes (list[TierChange] | Unset): The tier changes a created event caused.
    """

    event_id: None | str
    status: BatchItemResultStatus
    problem: None | Problem | Unset = UNSET
    tier_changes: list[TierChange] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.problem import Problem  # noqa: PLC0415

        event_id: None | str
        event_id = self.event_id

        status = self.status.value

        problem: dict[str, Any] | None | Unset
        if isinstance(self.problem, Unset):
            problem = UNSET
        elif isinstance(self.problem, Problem):
            problem = self.problem.to_dict()
        else:
            problem = self.problem

        tier_changes: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.tier_changes, Unset):
            tier_changes = []
            for tier_changes_item_data in self.tier_changes:
                tier_changes_item = tier_changes_item_data.to_dict()
                tier_changes.append(tier_changes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event_id": event_id,
                "status": status,
            }
        )
        if problem is not UNSET:
            field_dict["problem"] = problem
        if tier_changes is not UNSET:
            field_dict["tier_changes"] = tier_changes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.problem import Problem  # noqa: PLC0415
        from ..models.tier_change import TierChange  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_event_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        event_id = _parse_event_id(d.pop("event_id"))

        status = BatchItemResultStatus(d.pop("status"))

        def _parse_problem(data: object) -> None | Problem | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                problem_type_0 = Problem.from_dict(data)

                return problem_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Problem | Unset, data)

        problem = _parse_problem(d.pop("problem", UNSET))

        _tier_changes = d.pop("tier_changes", UNSET)
        tier_changes: list[TierChange] | Unset = UNSET
        if _tier_changes is not UNSET:
            tier_changes = []
            for tier_changes_item_data in _tier_changes:
                tier_changes_item = TierChange.from_dict(tier_changes_item_data)

                tier_changes.append(tier_changes_item)

        batch_item_result = cls(
            event_id=event_id,
            status=status,
            problem=problem,
            tier_changes=tier_changes,
        )

        batch_item_result.additional_properties = d
        return batch_item_result

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
