from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.age_comparison import AgeComparison
    from ..models.all_condition import AllCondition
    from ..models.any_condition import AnyCondition
    from ..models.between_comparison import BetweenComparison
    from ..models.contains_comparison import ContainsComparison
    from ..models.equality_comparison import EqualityComparison
    from ..models.exists_comparison import ExistsComparison
    from ..models.membership_comparison import MembershipComparison
    from ..models.not_condition import NotCondition
    from ..models.order_comparison import OrderComparison


T = TypeVar("T", bound="CountIn")


@_attrs_define
class CountIn:
    """
    Attributes:
        condition (AgeComparison | AllCondition | AnyCondition | BetweenComparison | ContainsComparison |
            EqualityComparison | ExistsComparison | MembershipComparison | None | NotCondition | OrderComparison | Unset):
            Who to count; omitted or null: every customer.
    """

    condition: (
        AgeComparison
        | AllCondition
        | AnyCondition
        | BetweenComparison
        | ContainsComparison
        | EqualityComparison
        | ExistsComparison
        | MembershipComparison
        | None
        | NotCondition
        | OrderComparison
        | Unset
    ) = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.age_comparison import AgeComparison  # noqa: PLC0415
        from ..models.all_condition import AllCondition  # noqa: PLC0415
        from ..models.any_condition import AnyCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        condition: dict[str, Any] | None | Unset
        if isinstance(self.condition, Unset):
            condition = UNSET
        elif isinstance(self.condition, AllCondition):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, AnyCondition):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, NotCondition):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, EqualityComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, OrderComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, BetweenComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, MembershipComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, ContainsComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, ExistsComparison):
            condition = self.condition.to_dict()
        elif isinstance(self.condition, AgeComparison):
            condition = self.condition.to_dict()
        else:
            condition = self.condition

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if condition is not UNSET:
            field_dict["condition"] = condition

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.age_comparison import AgeComparison  # noqa: PLC0415
        from ..models.all_condition import AllCondition  # noqa: PLC0415
        from ..models.any_condition import AnyCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_condition(
            data: object,
        ) -> (
            AgeComparison
            | AllCondition
            | AnyCondition
            | BetweenComparison
            | ContainsComparison
            | EqualityComparison
            | ExistsComparison
            | MembershipComparison
            | None
            | NotCondition
            | OrderComparison
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_0 = AllCondition.from_dict(data)

                return condition_type_0_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_1 = AnyCondition.from_dict(data)

                return condition_type_0_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_2 = NotCondition.from_dict(data)

                return condition_type_0_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_0 = EqualityComparison.from_dict(data)

                return condition_type_0_type_3_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_1 = OrderComparison.from_dict(data)

                return condition_type_0_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_2 = BetweenComparison.from_dict(data)

                return condition_type_0_type_3_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_3 = MembershipComparison.from_dict(data)

                return condition_type_0_type_3_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_4 = ContainsComparison.from_dict(data)

                return condition_type_0_type_3_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_5 = ExistsComparison.from_dict(data)

                return condition_type_0_type_3_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0_type_3_type_6 = AgeComparison.from_dict(data)

                return condition_type_0_type_3_type_6
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                AgeComparison
                | AllCondition
                | AnyCondition
                | BetweenComparison
                | ContainsComparison
                | EqualityComparison
                | ExistsComparison
                | MembershipComparison
                | None
                | NotCondition
                | OrderComparison
                | Unset,
                data,
            )

        condition = _parse_condition(d.pop("condition", UNSET))

        count_in = cls(
            condition=condition,
        )

        return count_in
