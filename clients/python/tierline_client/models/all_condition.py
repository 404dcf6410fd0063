from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.age_comparison import AgeComparison
    from ..models.any_condition import AnyCondition
    from ..models.between_comparison import BetweenComparison
    from ..models.contains_comparison import ContainsComparison
    from ..models.equality_comparison import EqualityComparison
    from ..models.exists_comparison import ExistsComparison
    from ..models.membership_comparison import MembershipComparison
    from ..models.not_condition import NotCondition
    from ..models.order_comparison import OrderComparison


T = TypeVar("T", bound="AllCondition")


@_attrs_define
class AllCondition:
    """Holds when every condition in the list holds (an empty list always holds).

    Attributes:
        all_ (list[AgeComparison | AllCondition | AnyCondition | BetweenComparison | ContainsComparison |
            EqualityComparison | ExistsComparison | MembershipComparison | NotCondition | OrderComparison]):
    """

    all_: list[
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
        from ..models.any_condition import AnyCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        all_ = []
        for all_item_data in self.all_:
            all_item: dict[str, Any]
            if isinstance(all_item_data, AllCondition):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, AnyCondition):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, NotCondition):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, EqualityComparison):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, OrderComparison):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, BetweenComparison):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, MembershipComparison):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, ContainsComparison):
                all_item = all_item_data.to_dict()
            elif isinstance(all_item_data, ExistsComparison):
                all_item = all_item_data.to_dict()
            else:
                all_item = all_item_data.to_dict()

            all_.append(all_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "all": all_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.age_comparison import AgeComparison  # noqa: PLC0415
        from ..models.any_condition import AnyCondition  # noqa: PLC0415
        from ..models.between_comparison import BetweenComparison  # noqa: PLC0415
        from ..models.contains_comparison import ContainsComparison  # noqa: PLC0415
        from ..models.equality_comparison import EqualityComparison  # noqa: PLC0415
        from ..models.exists_comparison import ExistsComparison  # noqa: PLC0415
        from ..models.membership_comparison import MembershipComparison  # noqa: PLC0415
        from ..models.not_condition import NotCondition  # noqa: PLC0415
        from ..models.order_comparison import OrderComparison  # noqa: PLC0415

        d = dict(src_dict)
        all_ = []
        _all_ = d.pop("all")
        for all_item_data in _all_:

            def _parse_all_item(
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
                    all_item_type_0 = AllCondition.from_dict(data)

                    return all_item_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_1 = AnyCondition.from_dict(data)

                    return all_item_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_2 = NotCondition.from_dict(data)

                    return all_item_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_0 = EqualityComparison.from_dict(data)

                    return all_item_type_3_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_1 = OrderComparison.from_dict(data)

                    return all_item_type_3_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_2 = BetweenComparison.from_dict(data)

                    return all_item_type_3_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_3 = MembershipComparison.from_dict(data)

                    return all_item_type_3_type_3
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_4 = ContainsComparison.from_dict(data)

                    return all_item_type_3_type_4
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    all_item_type_3_type_5 = ExistsComparison.from_dict(data)

                    return all_item_type_3_type_5
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                all_item_type_3_type_6 = AgeComparison.from_dict(data)

                return all_item_type_3_type_6

            all_item = _parse_all_item(all_item_data)

            all_.append(all_item)

        all_condition = cls(
            all_=all_,
        )

        return all_condition
