from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.endpoint_in import EndpointIn
from ...models.endpoint_with_secret import EndpointWithSecret
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: EndpointIn,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhooks/endpoints",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> EndpointWithSecret | Problem | None:
    if response.status_code == 201:
        response_201 = EndpointWithSecret.from_dict(response.json())

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
    *,
    client: AuthenticatedClient,
    body: EndpointIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[EndpointWithSecret | Problem]:
    """Subscribe a URL to webhook messages

     Creates an endpoint and returns its signing secret, **shown only here and on rotation**. Messages
    are POSTed in the Standard Webhooks format and signed with the `webhook-id`, `webhook-timestamp` and
    `webhook-signature` headers; verify them with a Standard Webhooks library and this secret. The URL
    must be http(s), without credentials, and its host must resolve only to publicly routable addresses
    (not private, loopback, link-local or reserved, nor an IPv6 form of such an IPv4 address) unless the
    operator's allow list admits them. Filter schemes and segments must exist in the workspace (archived
    ones count), and each filter part must apply to a listed event type.

    Scope: `webhooks:manage`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (EndpointIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EndpointWithSecret | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: EndpointIn,
    idempotency_key: None | str | Unset = UNSET,
) -> EndpointWithSecret | Problem | None:
    """Subscribe a URL to webhook messages

     Creates an endpoint and returns its signing secret, **shown only here and on rotation**. Messages
    are POSTed in the Standard Webhooks format and signed with the `webhook-id`, `webhook-timestamp` and
    `webhook-signature` headers; verify them with a Standard Webhooks library and this secret. The URL
    must be http(s), without credentials, and its host must resolve only to publicly routable addresses
    (not private, loopback, link-local or reserved, nor an IPv6 form of such an IPv4 address) unless the
    operator's allow list admits them. Filter schemes and segments must exist in the workspace (archived
    ones count), and each filter part must apply to a listed event type.

    Scope: `webhooks:manage`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (EndpointIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EndpointWithSecret | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: EndpointIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[EndpointWithSecret | Problem]:
    """Subscribe a URL to webhook messages

     Creates an endpoint and returns its signing secret, **shown only here and on rotation**. Messages
    are POSTed in the Standard Webhooks format and signed with the `webhook-id`, `webhook-timestamp` and
    `webhook-signature` headers; verify them with a Standard Webhooks library and this secret. The URL
    must be http(s), without credentials, and its host must resolve only to publicly routable addresses
    (not private, loopback, link-local or reserved, nor an IPv6 form of such an IPv4 address) unless the
    operator's allow list admits them. Filter schemes and segments must exist in the workspace (archived
    ones count), and each filter part must apply to a listed event type.

    Scope: `webhooks:manage`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (EndpointIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EndpointWithSecret | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: EndpointIn,
    idempotency_key: None | str | Unset = UNSET,
) -> EndpointWithSecret | Problem | None:
    """Subscribe a URL to webhook messages

     Creates an endpoint and returns its signing secret, **shown only here and on rotation**. Messages
    are POSTed in the Standard Webhooks format and signed with the `webhook-id`, `webhook-timestamp` and
    `webhook-signature` headers; verify them with a Standard Webhooks library and this secret. The URL
    must be http(s), without credentials, and its host must resolve only to publicly routable addresses
    (not private, loopback, link-local or reserved, nor an IPv6 form of such an IPv4 address) unless the
    operator's allow list admits them. Filter schemes and segments must exist in the workspace (archived
    ones count), and each filter part must apply to a listed event type.

    Scope: `webhooks:manage`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (EndpointIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EndpointWithSecret | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
