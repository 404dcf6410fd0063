from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.override_in import OverrideIn
from ...models.problem import Problem
from ...models.tier_assignment import TierAssignment
from ...types import Response


def _get_kwargs(
    customer_id: str,
    scheme: str,
    *,
    body: OverrideIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/customers/{customer_id}/tiers/{scheme}/override".format(
            customer_id=quote(str(customer_id), safe=""),
            scheme=quote(str(scheme), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TierAssignment | None:
    if response.status_code == 200:
        response_200 = TierAssignment.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[Problem | TierAssignment]:
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
    body: OverrideIn,
) -> Response[Problem | TierAssignment]:
    """Pin a customer's tier in a scheme by hand

     The customer moves to `tier` at once and stays there, whatever the rules say, until `expires_at` (or
    until the override is removed): events, reviews and new versions leave the tier alone. The move is
    recorded with reason `override` and sent to webhook subscribers like any other; schemes and segments
    reading this tier follow it. When the override expires the rules take over at once, without
    downgrade grace, with reason `override_expired`. Setting it again replaces it. `422` for a tier the
    scheme lacks or an expiry in the past; `409` when the customer has no tier in the scheme yet.

    Scope: `customers:write`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (OverrideIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierAssignment]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        scheme=scheme,
        body=body,
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
    body: OverrideIn,
) -> Problem | TierAssignment | None:
    """Pin a customer's tier in a scheme by hand

     The customer moves to `tier` at once and stays there, whatever the rules say, until `expires_at` (or
    until the override is removed): events, reviews and new versions leave the tier alone. The move is
    recorded with reason `override` and sent to webhook subscribers like any other; schemes and segments
    reading this tier follow it. When the override expires the rules take over at once, without
    downgrade grace, with reason `override_expired`. Setting it again replaces it. `422` for a tier the
    scheme lacks or an expiry in the past; `409` when the customer has no tier in the scheme yet.

    Scope: `customers:write`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (OverrideIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierAssignment
    """

    return sync_detailed(
        customer_id=customer_id,
        scheme=scheme,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
    body: OverrideIn,
) -> Response[Problem | TierAssignment]:
    """Pin a customer's tier in a scheme by hand

     The customer moves to `tier` at once and stays there, whatever the rules say, until `expires_at` (or
    until the override is removed): events, reviews and new versions leave the tier alone. The move is
    recorded with reason `override` and sent to webhook subscribers like any other; schemes and segments
    reading this tier follow it. When the override expires the rules take over at once, without
    downgrade grace, with reason `override_expired`. Setting it again replaces it. `422` for a tier the
    scheme lacks or an expiry in the past; `409` when the customer has no tier in the scheme yet.

    Scope: `customers:write`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (OverrideIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierAssignment]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        scheme=scheme,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    customer_id: str,
    scheme: str,
    *,
    client: AuthenticatedClient,
    body: OverrideIn,
) -> Problem | TierAssignment | None:
    """Pin a customer's tier in a scheme by hand

     The customer moves to `tier` at once and stays there, whatever the rules say, until `expires_at` (or
    until the override is removed): events, reviews and new versions leave the tier alone. The move is
    recorded with reason `override` and sent to webhook subscribers like any other; schemes and segments
    reading this tier follow it. When the override expires the rules take over at once, without
    downgrade grace, with reason `override_expired`. Setting it again replaces it. `422` for a tier the
    scheme lacks or an expiry in the past; `409` when the customer has no tier in the scheme yet.

    Scope: `customers:write`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        scheme (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (OverrideIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierAssignment
    """

    return (
        await asyncio_detailed(
            customer_id=customer_id,
            scheme=scheme,
            client=client,
            body=body,
        )
    ).parsed
