from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_search_item import PageSearchItem
from ...models.problem import Problem
from ...models.search_in import SearchIn
from ...types import Response


def _get_kwargs(
    *,
    body: SearchIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/customers/search",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageSearchItem | Problem | None:
    if response.status_code == 200:
        response_200 = PageSearchItem.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PageSearchItem | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SearchIn,
) -> Response[PageSearchItem | Problem]:
    """Find customers by a condition, sorted, a page at a time

     Pages through the customers the condition holds for, sorted by `sort` (then the customer id), with
    keyset cursors: a customer whose sort values do not change between pages is never skipped or
    repeated. Send the next page's request with the same condition and sort and the `next_cursor` of the
    previous page. Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (SearchIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageSearchItem | Problem]
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
    body: SearchIn,
) -> PageSearchItem | Problem | None:
    """Find customers by a condition, sorted, a page at a time

     Pages through the customers the condition holds for, sorted by `sort` (then the customer id), with
    keyset cursors: a customer whose sort values do not change between pages is never skipped or
    repeated. Send the next page's request with the same condition and sort and the `next_cursor` of the
    previous page. Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (SearchIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageSearchItem | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: SearchIn,
) -> Response[PageSearchItem | Problem]:
    """Find customers by a condition, sorted, a page at a time

     Pages through the customers the condition holds for, sorted by `sort` (then the customer id), with
    keyset cursors: a customer whose sort values do not change between pages is never skipped or
    repeated. Send the next page's request with the same condition and sort and the `next_cursor` of the
    previous page. Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (SearchIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageSearchItem | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: SearchIn,
) -> PageSearchItem | Problem | None:
    """Find customers by a condition, sorted, a page at a time

     Pages through the customers the condition holds for, sorted by `sort` (then the customer id), with
    keyset cursors: a customer whose sort values do not change between pages is never skipped or
    repeated. Send the next page's request with the same condition and sort and the `next_cursor` of the
    previous page. Without `customers:read` the key may select, filter and sort by `customer_id`,
    `metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope.

    Scope: `segments:read`.

    Args:
        body (SearchIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageSearchItem | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
