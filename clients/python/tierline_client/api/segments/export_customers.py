from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_in import ExportIn
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: ExportIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/customers/export",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ExportIn,
) -> Response[Any | Problem]:
    """Export the customers a condition holds for

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (ExportIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: ExportIn,
) -> Any | Problem | None:
    """Export the customers a condition holds for

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (ExportIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ExportIn,
) -> Response[Any | Problem]:
    """Export the customers a condition holds for

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (ExportIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ExportIn,
) -> Any | Problem | None:
    """Export the customers a condition holds for

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (ExportIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
