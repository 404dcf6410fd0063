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
    from ..models.order_comparison import OrderComparison


T = TypeVar("T", bound="NotCondition")


@_attrs_define
class NotCondition:
    """Holds when the inner condition does not.

    Attributes:
        not_ (AgeComparison | AllCondition | AnyCondition | BetweenComparison | ContainsComparison | EqualityComparison
            | ExistsComparison | MembershipComparison | NotCondition | OrderComparison):
    """

    not_: (
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
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        not_: dict[str, Any]
        if isinstance(self.not_, AllCondition):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, AnyCondition):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, NotCondition):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, EqualityComparison):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, OrderComparison):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, BetweenComparison):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, MembershipComparison):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, ContainsComparison):
            not_ = self.not_.to_dict()
        elif isinstance(self.not_, ExistsComparison):
            not_ = self.not_.to_dict()
        else:
            not_ = self.not_.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "not": not_,
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
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_not_(
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
                not_type_0 = AllCondition.from_dict(data)

                return not_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_1 = AnyCondition.from_dict(data)

                return not_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_2 = NotCondition.from_dict(data)

                return not_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_0 = EqualityComparison.from_dict(data)

                return not_type_3_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_1 = OrderComparison.from_dict(data)

                return not_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_2 = BetweenComparison.from_dict(data)

                return not_type_3_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_3 = MembershipComparison.from_dict(data)

                return not_type_3_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_4 = ContainsComparison.from_dict(data)

                return not_type_3_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                not_type_3_type_5 = ExistsComparison.from_dict(data)

                return not_type_3_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            not_type_3_type_6 = AgeComparison.from_dict(data)

            return not_type_3_type_6

        not_ = _parse_not_(d.pop("not"))

        not_condition = cls(
            not_=not_,
        )

        return not_condition
