import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.distribution import Distribution
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
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
        "url": "/v1/analytics/schemes/{key}/distribution".format(
            key=quote(str(key), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Distribution | Problem | None:
    if response.status_code == 200:
        response_200 = Distribution.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Distribution | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Response[Distribution | Problem]:
    """How many customers hold each tier, now or at a past moment

     Without `as_of`: the current tiers. With `as_of`: each customer's tier at that moment according to
    the tier history (its latest change at or before `as_of`). Customers who were erased since are not
    counted in the past either: their history is erased with them. An archived scheme has no holders
    from the moment it was archived. `share` is `count / total` with 4 decimals, rounded half-even
    (`"0.0000"` when `total` is 0).

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        as_of (datetime.datetime | None | Unset): A moment with a timezone, e.g.
            `2026-11-01T00:00:00Z`; omit for now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Distribution | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        as_of=as_of,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Distribution | Problem | None:
    """How many customers hold each tier, now or at a past moment

     Without `as_of`: the current tiers. With `as_of`: each customer's tier at that moment according to
    the tier history (its latest change at or before `as_of`). Customers who were erased since are not
    counted in the past either: their history is erased with them. An archived scheme has no holders
    from the moment it was archived. `share` is `count / total` with 4 decimals, rounded half-even
    (`"0.0000"` when `total` is 0).

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        as_of (datetime.datetime | None | Unset): A moment with a timezone, e.g.
            `2026-11-01T00:00:00Z`; omit for now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Distribution | Problem
    """

    return sync_detailed(
        key=key,
        client=client,
        as_of=as_of,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Response[Distribution | Problem]:
    """How many customers hold each tier, now or at a past moment

     Without `as_of`: the current tiers. With `as_of`: each customer's tier at that moment according to
    the tier history (its latest change at or before `as_of`). Customers who were erased since are not
    counted in the past either: their history is erased with them. An archived scheme has no holders
    from the moment it was archived. `share` is `count / total` with 4 decimals, rounded half-even
    (`"0.0000"` when `total` is 0).

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        as_of (datetime.datetime | None | Unset): A moment with a timezone, e.g.
            `2026-11-01T00:00:00Z`; omit for now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Distribution | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        as_of=as_of,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    as_of: datetime.datetime | None | Unset = UNSET,
) -> Distribution | Problem | None:
    """How many customers hold each tier, now or at a past moment

     Without `as_of`: the current tiers. With `as_of`: each customer's tier at that moment according to
    the tier history (its latest change at or before `as_of`). Customers who were erased since are not
    counted in the past either: their history is erased with them. An archived scheme has no holders
    from the moment it was archived. `share` is `count / total` with 4 decimals, rounded half-even
    (`"0.0000"` when `total` is 0).

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        as_of (datetime.datetime | None | Unset): A moment with a timezone, e.g.
            `2026-11-01T00:00:00Z`; omit for now.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Distribution | Problem
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            as_of=as_of,
        )
    ).parsed
