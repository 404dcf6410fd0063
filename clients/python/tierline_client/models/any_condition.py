from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.age_comparison import AgeComparison
    from ..models.all_condition import AllCondition
    from ..models.between_comparison import BetweenComparison
    from ..models.contains_comparison import ContainsComparison
    from ..models.equality_comparison import EqualityComparison
    from ..models.exists_comparison import ExistsComparison
    from ..models.membership_comparison import MembershipComparison
    from ..models.not_condition import NotCondition
    from ..models.order_comparison import OrderComparison


T = TypeVar("T", bound="AnyCondition")


@_attrs_define
class AnyCondition:
    """Holds when at least one condition in the list holds (an empty list never holds).

    Attributes:
        any_ (list[AgeComparison | AllCondition | AnyCondition | BetweenComparison | ContainsComparison |
            EqualityComparison | ExistsComparison | MembershipComparison | NotCondition | OrderComparison]):
    """

    any_: list[
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
    ]

    def to_dict(self) -> dict[str, Any]:
        from ..models.all_condition import AllCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        any_ = []
        for any_item_data in self.any_:
            any_item: dict[str, Any]
            if isinstance(any_item_data, AllCondition):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, AnyCondition):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, NotCondition):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, EqualityComparison):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, OrderComparison):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, BetweenComparison):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, MembershipComparison):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, ContainsComparison):
                any_item = any_item_data.to_dict()
            elif isinstance(any_item_data, ExistsComparison):
                any_item = any_item_data.to_dict()
            else:
                any_item = any_item_data.to_dict()

            any_.append(any_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "any": any_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.age_comparison import AgeComparison  # noqa: PLC0415
        from ..models.all_condition import AllCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        d = dict(src_dict)
        any_ = []
        _any_ = d.pop("any")
        for any_item_data in _any_:

            def _parse_any_item(
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
                    any_item_type_0 = AllCondition.from_dict(data)

                    return any_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_1 = AnyCondition.from_dict(data)

                    return any_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_2 = NotCondition.from_dict(data)

                    return any_item_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_0 = EqualityComparison.from_dict(data)

                    return any_item_type_3_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_1 = OrderComparison.from_dict(data)

                    return any_item_type_3_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_2 = BetweenComparison.from_dict(data)

                    return any_item_type_3_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_3 = MembershipComparison.from_dict(data)

                    return any_item_type_3_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_4 = ContainsComparison.from_dict(data)

                    return any_item_type_3_type_4
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    any_item_type_3_type_5 = ExistsComparison.from_dict(data)

                    return any_item_type_3_type_5
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                any_item_type_3_type_6 = AgeComparison.from_dict(data)

                return any_item_type_3_type_6

            any_item = _parse_any_item(any_item_data)

            any_.append(any_item)

        any_condition = cls(
            any_=any_,
        )

        return any_condition
