from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.scheme import Scheme
from ...models.scheme_in import SchemeIn
from ...types import Response


def _get_kwargs(
    key: str,
    *,
    body: SchemeIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/schemes/{key}".format(
            key=quote(str(key), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Scheme | None:
    if response.status_code == 200:
        response_200 = Scheme.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Scheme.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Scheme]:
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
    body: SchemeIn,
) -> Response[Problem | Scheme]:
    """Create a scheme or save a new version of it

     Every save is a new version; earlier versions stay readable. The new version applies at once to
    customers as their events arrive, and to everyone in the background (`job_id`, progress at `GET
    /v1/jobs/{id}`), recording each change in the tier history with reason `rule_change`. `201` when the
    scheme is new (or was archived), `200` for a new version. A `422` names what is wrong and leaves the
    current version active.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Scheme]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    body: SchemeIn,
) -> Problem | Scheme | None:
    """Create a scheme or save a new version of it

     Every save is a new version; earlier versions stay readable. The new version applies at once to
    customers as their events arrive, and to everyone in the background (`job_id`, progress at `GET
    /v1/jobs/{id}`), recording each change in the tier history with reason `rule_change`. `201` when the
    scheme is new (or was archived), `200` for a new version. A `422` names what is wrong and leaves the
    current version active.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Scheme
    """

    return sync_detailed(
        key=key,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    body: SchemeIn,
) -> Response[Problem | Scheme]:
    """Create a scheme or save a new version of it

     Every save is a new version; earlier versions stay readable. The new version applies at once to
    customers as their events arrive, and to everyone in the background (`job_id`, progress at `GET
    /v1/jobs/{id}`), recording each change in the tier history with reason `rule_change`. `201` when the
    scheme is new (or was archived), `200` for a new version. A `422` names what is wrong and leaves the
    current version active.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Scheme]
    """

    kwargs = _get_kwargs(
        key=key,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    body: SchemeIn,
) -> Problem | Scheme | None:
    """Create a scheme or save a new version of it

     Every save is a new version; earlier versions stay readable. The new version applies at once to
    customers as their events arrive, and to everyone in the background (`job_id`, progress at `GET
    /v1/jobs/{id}`), recording each change in the tier history with reason `rule_change`. `201` when the
    scheme is new (or was archived), `200` for a new version. A `422` names what is wrong and leaves the
    current version active.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Scheme
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            body=body,
        )
    ).parsed
