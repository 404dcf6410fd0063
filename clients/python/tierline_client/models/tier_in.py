from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

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


T = TypeVar("T", bound="TierIn")


@_attrs_define
class TierIn:
    """
    Attributes:
        key (str): Stable id of the tier, used in `tiers.<scheme>` conditions.
        name (str): Display name.
        condition (AgeComparison | AllCondition | AnyCondition | BetweenComparison | ContainsComparison |
            EqualityComparison | ExistsComparison | MembershipComparison | NotCondition | OrderComparison): The tier holds
            when this condition holds.
    """

    key: str
    name: str
    condition: (
        AgeComparison
        | AllCondition
        | AnyCondition
        | BetweenComparison
        | ContainsComparison
        | EqualityComparison
        | ExistsComparison
        | MembershipComparison
        | NotCondition
        | OrderComparison
    )

    def to_dict(self) -> dict[str, Any]:
        from ..models.all_condition import AllCondition  # noqa: PLC0415
        from ..models.any_condition import AnyCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        key = self.key

        name = self.name

        condition: dict[str, Any]
        if isinstance(self.condition, AllCondition):
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
        else:
            condition = self.condition.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "name": name,
                "condition": condition,
            }
        )

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
        key = d.pop("key")

        name = d.pop("name")

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
            | NotCondition
            | OrderComparison
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_0 = AllCondition.from_dict(data)

                return condition_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_1 = AnyCondition.from_dict(data)

                return condition_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_2 = NotCondition.from_dict(data)

                return condition_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_0 = EqualityComparison.from_dict(data)

                return condition_type_3_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_1 = OrderComparison.from_dict(data)

                return condition_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_2 = BetweenComparison.from_dict(data)

                return condition_type_3_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_3 = MembershipComparison.from_dict(data)

                return condition_type_3_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_4 = ContainsComparison.from_dict(data)

                return condition_type_3_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                condition_type_3_type_5 = ExistsComparison.from_dict(data)

                return condition_type_3_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            condition_type_3_type_6 = AgeComparison.from_dict(data)

            return condition_type_3_type_6

        condition = _parse_condition(d.pop("condition"))

        tier_in = cls(
            key=key,
            name=name,
            condition=condition,
        )

        return tier_in
