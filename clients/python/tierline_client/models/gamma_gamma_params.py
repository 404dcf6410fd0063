from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GammaGammaParams")


@_attrs_define
class GammaGammaParams:
    """
    Attributes:
        log_likelihood (float): The maximised log-likelihood.
        converged (bool):
        message (str): The optimiser's message.
        iterations (int):
        p (float): Shape of the spend per purchase.
        q (float): Shape of the customers' spend scale distribution.
        gamma (float): Scale of the customers' spend scale distribution.
        customers (int): Repeat customers it was fitted on (those whose repeat days netted more than 0).
    """

    log_likelihood: float
    converged: bool
    message: str
    iterations: int
    p: float
    q: float
    gamma: float
    customers: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        log_likelihood = self.log_likelihood

        converged = self.converged

        message = self.message

        iterations = self.iterations

        p = self.p

        q = self.q

        gamma = self.gamma

        customers = self.customers

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "log_likelihood": log_likelihood,
                "converged": converged,
                "message": message,
                "iterations": iterations,
                "p": p,
                "q": q,
                "gamma": gamma,
                "customers": customers,
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

        p = d.pop("p")

        q = d.pop("q")

        gamma = d.pop("gamma")

        customers = d.pop("customers")

        gamma_gamma_params = cls(
            log_likelihood=log_likelihood,
            converged=converged,
            message=message,
            iterations=iterations,
            p=p,
            q=q,
            gamma=gamma,
            customers=customers,
        )

        gamma_gamma_params.additional_properties = d
        return gamma_gamma_params

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
