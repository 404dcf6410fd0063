from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.endpoint_with_secret import EndpointWithSecret
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    endpoint_id: UUID,
    *,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/endpoints/{endpoint_id}/rotate-secret".format(
            endpoint_id=quote(str(endpoint_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EndpointWithSecret | Problem | None:
    if response.status_code == 200:
        response_200 = EndpointWithSecret.from_dict(response.json())

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
) -> Response[EndpointWithSecret | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    endpoint_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[EndpointWithSecret | Problem]:
    """Rotate an endpoint's signing secret

     Returns the endpoint with a new secret, shown only here. For 24 hours the previous secret keeps
    signing too (the `webhook-signature` header carries both signatures), so the subscriber can switch
    without rejecting a message. Rotating again within that day retires the oldest secret at once.

    Scope: `webhooks:manage`.

    Args:
        endpoint_id (UUID): The endpoint's id.
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
        Response[EndpointWithSecret | Problem]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    endpoint_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: None | str | Unset = UNSET,
) -> EndpointWithSecret | Problem | None:
    """Rotate an endpoint's signing secret

     Returns the endpoint with a new secret, shown only here. For 24 hours the previous secret keeps
    signing too (the `webhook-signature` header carries both signatures), so the subscriber can switch
    without rejecting a message. Rotating again within that day retires the oldest secret at once.

    Scope: `webhooks:manage`.

    Args:
        endpoint_id (UUID): The endpoint's id.
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
        EndpointWithSecret | Problem
    """

    return sync_detailed(
        endpoint_id=endpoint_id,
        client=client,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    endpoint_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[EndpointWithSecret | Problem]:
    """Rotate an endpoint's signing secret

     Returns the endpoint with a new secret, shown only here. For 24 hours the previous secret keeps
    signing too (the `webhook-signature` header carries both signatures), so the subscriber can switch
    without rejecting a message. Rotating again within that day retires the oldest secret at once.

    Scope: `webhooks:manage`.

    Args:
        endpoint_id (UUID): The endpoint's id.
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
        Response[EndpointWithSecret | Problem]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    endpoint_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: None | str | Unset = UNSET,
) -> EndpointWithSecret | Problem | None:
    """Rotate an endpoint's signing secret

     Returns the endpoint with a new secret, shown only here. For 24 hours the previous secret keeps
    signing too (the `webhook-signature` header carries both signatures), so the subscriber can switch
    without rejecting a message. Rotating again within that day retires the oldest secret at once.

    Scope: `webhooks:manage`.

    Args:
        endpoint_id (UUID): The endpoint's id.
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
        EndpointWithSecret | Problem
    """

    return (
        await asyncio_detailed(
            endpoint_id=endpoint_id,
            client=client,
            idempotency_key=idempotency_key,
        )
    ).parsed
