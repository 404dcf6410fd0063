from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.list_messages_status_type_0 import ListMessagesStatusType0
from ...models.list_messages_type_type_0 import ListMessagesTypeType0
from ...models.page_message import PageMessage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    type_: ListMessagesTypeType0 | None | Unset = UNSET,
    customer_id: None | str | Unset = UNSET,
    status: ListMessagesStatusType0 | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_type_: None | str | Unset
    if isinstance(type_, Unset):
        json_type_ = UNSET
    elif isinstance(type_, ListMessagesTypeType0):
        json_type_ = type_.value
    else:
        json_type_ = type_
    params["type"] = json_type_

    json_customer_id: None | str | Unset
    if isinstance(customer_id, Unset):
        json_customer_id = UNSET
    else:
        json_customer_id = customer_id
    params["customer_id"] = json_customer_id

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListMessagesStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/webhooks/messages",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageMessage | Problem | None:
    if response.status_code == 200:
        response_200 = PageMessage.from_dict(response.json())

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
) -> Response[PageMessage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    type_: ListMessagesTypeType0 | None | Unset = UNSET,
    customer_id: None | str | Unset = UNSET,
    status: ListMessagesStatusType0 | None | Unset = UNSET,
) -> Response[PageMessage | Problem]:
    """List webhook messages, newest first

     Every message the outbox wrote (one is written only when some endpoint wants it), with its payload
    and its delivery to each endpoint.

    Scope: `webhooks:manage`.

    Args:
        limit (int | Unset): Page size, 1 to 1000. Default: 100.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first.
        type_ (ListMessagesTypeType0 | None | Unset): Only messages of this type.
        customer_id (None | str | Unset): Only messages about this customer.
        status (ListMessagesStatusType0 | None | Unset): Only messages with a delivery in this
            status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageMessage | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        type_=type_,
        customer_id=customer_id,
        status=status,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    type_: ListMessagesTypeType0 | None | Unset = UNSET,
    customer_id: None | str | Unset = UNSET,
    status: ListMessagesStatusType0 | None | Unset = UNSET,
) -> PageMessage | Problem | None:
    """List webhook messages, newest first

     Every message the outbox wrote (one is written only when some endpoint wants it), with its payload
    and its delivery to each endpoint.

    Scope: `webhooks:manage`.

    Args:
        limit (int | Unset): Page size, 1 to 1000. Default: 100.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first.
        type_ (ListMessagesTypeType0 | None | Unset): Only messages of this type.
        customer_id (None | str | Unset): Only messages about this customer.
        status (ListMessagesStatusType0 | None | Unset): Only messages with a delivery in this
            status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageMessage | Problem
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        type_=type_,
        customer_id=customer_id,
        status=status,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    type_: ListMessagesTypeType0 | None | Unset = UNSET,
    customer_id: None | str | Unset = UNSET,
    status: ListMessagesStatusType0 | None | Unset = UNSET,
) -> Response[PageMessage | Problem]:
    """List webhook messages, newest first

     Every message the outbox wrote (one is written only when some endpoint wants it), with its payload
    and its delivery to each endpoint.

    Scope: `webhooks:manage`.

    Args:
        limit (int | Unset): Page size, 1 to 1000. Default: 100.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first.
        type_ (ListMessagesTypeType0 | None | Unset): Only messages of this type.
        customer_id (None | str | Unset): Only messages about this customer.
        status (ListMessagesStatusType0 | None | Unset): Only messages with a delivery in this
            status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageMessage | Problem]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        type_=type_,
        customer_id=customer_id,
        status=status,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 100,
    cursor: None | str | Unset = UNSET,
    type_: ListMessagesTypeType0 | None | Unset = UNSET,
    customer_id: None | str | Unset = UNSET,
    status: ListMessagesStatusType0 | None | Unset = UNSET,
) -> PageMessage | Problem | None:
    """List webhook messages, newest first

     Every message the outbox wrote (one is written only when some endpoint wants it), with its payload
    and its delivery to each endpoint.

    Scope: `webhooks:manage`.

    Args:
        limit (int | Unset): Page size, 1 to 1000. Default: 100.
        cursor (None | str | Unset): `next_cursor` of the previous page; omit for the first.
        type_ (ListMessagesTypeType0 | None | Unset): Only messages of this type.
        customer_id (None | str | Unset): Only messages about this customer.
        status (ListMessagesStatusType0 | None | Unset): Only messages with a delivery in this
            status.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageMessage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            type_=type_,
            customer_id=customer_id,
            status=status,
        )
    ).parsed
