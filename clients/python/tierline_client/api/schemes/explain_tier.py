from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.tier_explanation import TierExplanation
from ...types import Response


def _get_kwargs(
    customer_id: str,
    scheme: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/customers/{customer_id}/tiers/{scheme}/explain".format(
            customer_id=quote(str(customer_id), safe=""),
            scheme=quote(str(scheme), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TierExplanation | None:
    if response.status_code == 200:
        response_200 = TierExplanation.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | TierExplanation]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | TierExplanation]:
    """Why a customer holds its tier in a scheme, and what would move it

     Answers "why am I not VIP?" from the same data and rules that classify the customer, as of now:

    - `current`: the stored tier (null before the customer's first classification in the scheme) with a
    held-back downgrade (`pending_downgrade.to`, `.at`); `qualifies_for`: the tier whose condition holds
    now.
    - `tiers`: from the top tier down to the current one (or the qualified one if lower), each condition
    in its own shape (`all` / `any` / `not` with `holds`), every comparison with its threshold
    (`value`), the customer's value (`actual`, as the profile shows it) and `holds`.
    - `next_tier`: the first tier above the current one and what its condition lacks (`missing`): a tree
    of `all` / `any` over the comparisons that must flip, with amounts for numeric metrics (`"400.00
    more lifetime_spend"`, `"1 more orders_90d"`; counts in whole units, money in the base currency's
    minor units, so `gt 5000` from 4600.00 needs 400.01 in EUR, 401 in JPY) and a text for the rest
    (`missing: null`). `any` lists every branch, cheapest first.
    - `keep_tier`: while the current tier's condition holds, what would end it (`lose_if`, closest
    first, each with the margin `spare` and, for time comparisons and the built-in windowed metrics,
    `changes_at`: when it flips with no new event); while a downgrade is pending, what would cancel it
    (`missing`).

    `404` for an unknown customer or scheme; `409` for an archived scheme (the tier history still has
    its past).

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierExplanation]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        scheme=scheme,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
) -> Problem | TierExplanation | None:
    """Why a customer holds its tier in a scheme, and what would move it

     Answers "why am I not VIP?" from the same data and rules that classify the customer, as of now:

    - `current`: the stored tier (null before the customer's first classification in the scheme) with a
    held-back downgrade (`pending_downgrade.to`, `.at`); `qualifies_for`: the tier whose condition holds
    now.
    - `tiers`: from the top tier down to the current one (or the qualified one if lower), each condition
    in its own shape (`all` / `any` / `not` with `holds`), every comparison with its threshold
    (`value`), the customer's value (`actual`, as the profile shows it) and `holds`.
    - `next_tier`: the first tier above the current one and what its condition lacks (`missing`): a tree
    of `all` / `any` over the comparisons that must flip, with amounts for numeric metrics (`"400.00
    more lifetime_spend"`, `"1 more orders_90d"`; counts in whole units, money in the base currency's
    minor units, so `gt 5000` from 4600.00 needs 400.01 in EUR, 401 in JPY) and a text for the rest
    (`missing: null`). `any` lists every branch, cheapest first.
    - `keep_tier`: while the current tier's condition holds, what would end it (`lose_if`, closest
    first, each with the margin `spare` and, for time comparisons and the built-in windowed metrics,
    `changes_at`: when it flips with no new event); while a downgrade is pending, what would cancel it
    (`missing`).

    `404` for an unknown customer or scheme; `409` for an archived scheme (the tier history still has
    its past).

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierExplanation
    """

    return sync_detailed(
        customer_id=customer_id,
        scheme=scheme,
        client=client,
    ).parsed


async def asyncio_detailed(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | TierExplanation]:
    """Why a customer holds its tier in a scheme, and what would move it

     Answers "why am I not VIP?" from the same data and rules that classify the customer, as of now:

    - `current`: the stored tier (null before the customer's first classification in the scheme) with a
    held-back downgrade (`pending_downgrade.to`, `.at`); `qualifies_for`: the tier whose condition holds
    now.
    - `tiers`: from the top tier down to the current one (or the qualified one if lower), each condition
    in its own shape (`all` / `any` / `not` with `holds`), every comparison with its threshold
    (`value`), the customer's value (`actual`, as the profile shows it) and `holds`.
    - `next_tier`: the first tier above the current one and what its condition lacks (`missing`): a tree
    of `all` / `any` over the comparisons that must flip, with amounts for numeric metrics (`"400.00
    more lifetime_spend"`, `"1 more orders_90d"`; counts in whole units, money in the base currency's
    minor units, so `gt 5000` from 4600.00 needs 400.01 in EUR, 401 in JPY) and a text for the rest
    (`missing: null`). `any` lists every branch, cheapest first.
    - `keep_tier`: while the current tier's condition holds, what would end it (`lose_if`, closest
    first, each with the margin `spare` and, for time comparisons and the built-in windowed metrics,
    `changes_at`: when it flips with no new event); while a downgrade is pending, what would cancel it
    (`missing`).

    `404` for an unknown customer or scheme; `409` for an archived scheme (the tier history still has
    its past).

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierExplanation]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        scheme=scheme,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
) -> Problem | TierExplanation | None:
    """Why a customer holds its tier in a scheme, and what would move it

     Answers "why am I not VIP?" from the same data and rules that classify the customer, as of now:

    - `current`: the stored tier (null before the customer's first classification in the scheme) with a
    held-back downgrade (`pending_downgrade.to`, `.at`); `qualifies_for`: the tier whose condition holds
    now.
    - `tiers`: from the top tier down to the current one (or the qualified one if lower), each condition
    in its own shape (`all` / `any` / `not` with `holds`), every comparison with its threshold
    (`value`), the customer's value (`actual`, as the profile shows it) and `holds`.
    - `next_tier`: the first tier above the current one and what its condition lacks (`missing`): a tree
    of `all` / `any` over the comparisons that must flip, with amounts for numeric metrics (`"400.00
    more lifetime_spend"`, `"1 more orders_90d"`; counts in whole units, money in the base currency's
    minor units, so `gt 5000` from 4600.00 needs 400.01 in EUR, 401 in JPY) and a text for the rest
    (`missing: null`). `any` lists every branch, cheapest first.
    - `keep_tier`: while the current tier's condition holds, what would end it (`lose_if`, closest
    first, each with the margin `spare` and, for time comparisons and the built-in windowed metrics,
    `changes_at`: when it flips with no new event); while a downgrade is pending, what would cancel it
    (`missing`).

    `404` for an unknown customer or scheme; `409` for an archived scheme (the tier history still has
    its past).

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierExplanation
    """

    return (
        await asyncio_detailed(
            customer_id=customer_id,
            scheme=scheme,
            client=client,
        )
    ).parsed
