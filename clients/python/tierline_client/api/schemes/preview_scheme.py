from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.scheme_in import SchemeIn
from ...models.scheme_preview import SchemePreview
from ...types import Response


def _get_kwargs(
    key: str,
    *,
    body: SchemeIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/schemes/{key}/preview".format(
            key=quote(str(key), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SchemePreview | None:
    if response.status_code == 200:
        response_200 = SchemePreview.from_dict(response.json())

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
) -> Response[Problem | SchemePreview]:
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
) -> Response[Problem | SchemePreview]:
    """What saving a version would do, changing nothing

     Takes the body a save takes and answers, for every customer of the workspace as of now, who would
    change tier (counts by from and to tier, with a sample of customer ids), whose downgrade grace or
    tenure would hold back, and how many webhook messages saving it would send. Nothing is stored. The
    decisions are the ones the save's reclassification makes, so saving the same body at the same moment
    does exactly this. Schemes that read this one's tiers are not previewed. A `422` is the one saving
    it would get; a `409` when a metric it reads is still being backfilled.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchemePreview]
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
) -> Problem | SchemePreview | None:
    """What saving a version would do, changing nothing

     Takes the body a save takes and answers, for every customer of the workspace as of now, who would
    change tier (counts by from and to tier, with a sample of customer ids), whose downgrade grace or
    tenure would hold back, and how many webhook messages saving it would send. Nothing is stored. The
    decisions are the ones the save's reclassification makes, so saving the same body at the same moment
    does exactly this. Schemes that read this one's tiers are not previewed. A `422` is the one saving
    it would get; a `409` when a metric it reads is still being backfilled.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchemePreview
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
) -> Response[Problem | SchemePreview]:
    """What saving a version would do, changing nothing

     Takes the body a save takes and answers, for every customer of the workspace as of now, who would
    change tier (counts by from and to tier, with a sample of customer ids), whose downgrade grace or
    tenure would hold back, and how many webhook messages saving it would send. Nothing is stored. The
    decisions are the ones the save's reclassification makes, so saving the same body at the same moment
    does exactly this. Schemes that read this one's tiers are not previewed. A `422` is the one saving
    it would get; a `409` when a metric it reads is still being backfilled.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SchemePreview]
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
) -> Problem | SchemePreview | None:
    """What saving a version would do, changing nothing

     Takes the body a save takes and answers, for every customer of the workspace as of now, who would
    change tier (counts by from and to tier, with a sample of customer ids), whose downgrade grace or
    tenure would hold back, and how many webhook messages saving it would send. Nothing is stored. The
    decisions are the ones the save's reclassification makes, so saving the same body at the same moment
    does exactly this. Schemes that read this one's tiers are not previewed. A `422` is the one saving
    it would get; a `409` when a metric it reads is still being backfilled.

    Scope: `schemes:write`.

    Args:
        key (str): The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.
        body (SchemeIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SchemePreview
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            body=body,
        )
    ).parsed
