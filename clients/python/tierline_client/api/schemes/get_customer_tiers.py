import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.tiers_as_of import TiersAsOf
from ...types import UNSET, Response, Unset


def _get_kwargs(
    customer_id: str,
    *,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_as_of: None | str | Unset
    if isinstance(as_of, Unset):
        json_as_of = UNSET
    elif isinstance(as_of, datetime.datetime):
        json_as_of = as_of.isoformat()
    else:
        json_as_of = as_of
    params["as_of"] = json_as_of

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/customers/{customer_id}/tiers".format(
            customer_id=quote(str(customer_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | TiersAsOf | None:
    if response.status_code == 200:
        response_200 = TiersAsOf.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | TiersAsOf]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    customer_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Response[Problem | TiersAsOf]:
    """A customer's tier in every scheme, now or at a past moment

     Without `as_of`: the current tier in every active scheme, as the profile shows it, with any
    downgrade that grace or tenure holds back. With `as_of`: each scheme's tier at that moment according
    to the tier history (the latest change at or before `as_of`, so a change at exactly `as_of` counts),
    including schemes archived since; a scheme archived at or before `as_of` has no holders from then
    on. Schemes in which the customer had no tier at that moment are left out. `as_of` needs a timezone
    and must not be later than now; otherwise `422` naming `as_of`.

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        as_of (datetime.datetime | None | Unset): A past moment with a timezone, e.g.
            `2026-03-01T00:00:00Z`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TiersAsOf]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        as_of=as_of,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    customer_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Problem | TiersAsOf | None:
    """A customer's tier in every scheme, now or at a past moment

     Without `as_of`: the current tier in every active scheme, as the profile shows it, with any
    downgrade that grace or tenure holds back. With `as_of`: each scheme's tier at that moment according
    to the tier history (the latest change at or before `as_of`, so a change at exactly `as_of` counts),
    including schemes archived since; a scheme archived at or before `as_of` has no holders from then
    on. Schemes in which the customer had no tier at that moment are left out. `as_of` needs a timezone
    and must not be later than now; otherwise `422` naming `as_of`.

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        as_of (datetime.datetime | None | Unset): A past moment with a timezone, e.g.
            `2026-03-01T00:00:00Z`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TiersAsOf
    """

    return sync_detailed(
        customer_id=customer_id,
        client=client,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    customer_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Response[Problem | TiersAsOf]:
    """A customer's tier in every scheme, now or at a past moment

     Without `as_of`: the current tier in every active scheme, as the profile shows it, with any
    downgrade that grace or tenure holds back. With `as_of`: each scheme's tier at that moment according
    to the tier history (the latest change at or before `as_of`, so a change at exactly `as_of` counts),
    including schemes archived since; a scheme archived at or before `as_of` has no holders from then
    on. Schemes in which the customer had no tier at that moment are left out. `as_of` needs a timezone
    and must not be later than now; otherwise `422` naming `as_of`.

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        as_of (datetime.datetime | None | Unset): A past moment with a timezone, e.g.
            `2026-03-01T00:00:00Z`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TiersAsOf]
    """

    kwargs = _get_kwargs(
        customer_id=customer_id,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    customer_id: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Problem | TiersAsOf | None:
    """A customer's tier in every scheme, now or at a past moment

     Without `as_of`: the current tier in every active scheme, as the profile shows it, with any
    downgrade that grace or tenure holds back. With `as_of`: each scheme's tier at that moment according
    to the tier history (the latest change at or before `as_of`, so a change at exactly `as_of` counts),
    including schemes archived since; a scheme archived at or before `as_of` has no holders from then
    on. Schemes in which the customer had no tier at that moment are left out. `as_of` needs a timezone
    and must not be later than now; otherwise `422` naming `as_of`.

    Scope: `customers:read`.

    Args:
        customer_id (str): Your CRM's id for the customer.
        as_of (datetime.datetime | None | Unset): A past moment with a timezone, e.g.
            `2026-03-01T00:00:00Z`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TiersAsOf
    """

    return (
        await asyncio_detailed(
            customer_id=customer_id,
            client=client,
            as_of=as_of,
        )
    ).parsed
