from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.requeued import Requeued
from ...types import UNSET, Response, Unset


def _get_kwargs(
    message_id: UUID,
    *,
    endpoint_id: None | Unset | UUID = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    json_endpoint_id: None | str | Unset
    if isinstance(endpoint_id, Unset):
        json_endpoint_id = UNSET
    elif isinstance(endpoint_id, UUID):
        json_endpoint_id = str(endpoint_id)
    else:
        json_endpoint_id = endpoint_id
    params["endpoint_id"] = json_endpoint_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/messages/{message_id}/replay".format(
            message_id=quote(str(message_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Requeued | None:
    if response.status_code == 202:
        response_202 = Requeued.from_dict(response.json())

        return response_202

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Requeued]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    endpoint_id: None | Unset | UUID = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | Requeued]:
    """Send a message again

     Queues again the message's delivery to each endpoint it went to (or only to `endpoint_id`), whatever
    its status, from the start of the retry schedule. The message keeps its id, payload and sequence.

    Scope: `webhooks:manage`.

    Args:
        message_id (UUID): The message's id (its `webhook-id` header).
        endpoint_id (None | Unset | UUID): Replay only to this endpoint; it must be one the
            message went to.
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Requeued]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
        endpoint_id=endpoint_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    endpoint_id: None | Unset | UUID = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | Requeued | None:
    """Send a message again

     Queues again the message's delivery to each endpoint it went to (or only to `endpoint_id`), whatever
    its status, from the start of the retry schedule. The message keeps its id, payload and sequence.

    Scope: `webhooks:manage`.

    Args:
        message_id (UUID): The message's id (its `webhook-id` header).
        endpoint_id (None | Unset | UUID): Replay only to this endpoint; it must be one the
            message went to.
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Requeued
    """

    return sync_detailed(
        message_id=message_id,
        client=client,
        endpoint_id=endpoint_id,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    endpoint_id: None | Unset | UUID = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[Problem | Requeued]:
    """Send a message again

     Queues again the message's delivery to each endpoint it went to (or only to `endpoint_id`), whatever
    its status, from the start of the retry schedule. The message keeps its id, payload and sequence.

    Scope: `webhooks:manage`.

    Args:
        message_id (UUID): The message's id (its `webhook-id` header).
        endpoint_id (None | Unset | UUID): Replay only to this endpoint; it must be one the
            message went to.
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Requeued]
    """

    kwargs = _get_kwargs(
        message_id=message_id,
        endpoint_id=endpoint_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    message_id: UUID,
    *,
    client: AuthenticatedClient,
    endpoint_id: None | Unset | UUID = UNSET,
    idempotency_key: None | str | Unset = UNSET,
) -> Problem | Requeued | None:
    """Send a message again

     Queues again the message's delivery to each endpoint it went to (or only to `endpoint_id`), whatever
    its status, from the start of the retry schedule. The message keeps its id, payload and sequence.

    Scope: `webhooks:manage`.

    Args:
        message_id (UUID): The message's id (its `webhook-id` header).
        endpoint_id (None | Unset | UUID): Replay only to this endpoint; it must be one the
            message went to.
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Requeued
    """

    return (
        await asyncio_detailed(
            message_id=message_id,
            client=client,
            endpoint_id=endpoint_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
