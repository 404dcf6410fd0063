from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BgNbdParams")


@_attrs_define
class BgNbdParams:
    """
    Attributes:
        log_likelihood (float): The maximised log-likelihood.
        converged (bool):
        message (str): The optimiser's message.
        iterations (int):
        r (float): Shape of the purchase rates' gamma distribution.
        alpha (float): Scale of the purchase rates' gamma distribution, in days.
        a (float): Dropout probability's beta distribution, first shape.
        b (float): Dropout probability's beta distribution, second shape.
    """

    log_likelihood: float
    converged: bool
    message: str
    iterations: int
    r: float
    alpha: float
    a: float
    b: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        log_likelihood = self.log_likelihood

        converged = self.converged

        message = self.message

        iterations = self.iterations

        r = self.r

        alpha = self.alpha

        a = self.a

        b = self.b

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "log_likelihood": log_likelihood,
                "converged": converged,
                "message": message,
                "iterations": iterations,
                "r": r,
                "alpha": alpha,
                "a": a,
                "b": b,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        log_likelihood = d.pop("log_likelihood")

        converged = d.pop("converged")

        message = d.pop("message")

        iterations = d.pop("iterations")

        r = d.pop("r")

        alpha = d.pop("alpha")

        a = d.pop("a")

        b = d.pop("b")

        bg_nbd_params = cls(
            log_likelihood=log_likelihood,
            converged=converged,
            message=message,
            iterations=iterations,
            r=r,
            alpha=alpha,
            a=a,
            b=b,
        )

        bg_nbd_params.additional_properties = d
        return bg_nbd_params

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
