from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.event_created import EventCreated
from ...models.event_in import EventIn
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    *,
    body: EventIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/events",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EventCreated | Problem | None:
    if response.status_code == 200:
        response_200 = EventCreated.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = EventCreated.from_dict(response.json())

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
) -> Response[EventCreated | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: EventIn,
) -> Response[EventCreated | Problem]:
    """Send one event

     Stores the event and updates the customer's metrics in one transaction. `201` with `status:
    created`, or `200` with `status: duplicate` when this `event_id` was already stored with the same
    body (nothing changes). The same `event_id` with a different body is a `409`. The response carries
    the tier changes the event caused and, for a key that also holds `customers:read`, the customer's
    resulting traits, metrics and tiers (`customer` is `null` otherwise).

    Scope: `events:write`.

    Args:
        body (EventIn): One thing a customer did.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventCreated | Problem]
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
    body: EventIn,
) -> EventCreated | Problem | None:
    """Send one event

     Stores the event and updates the customer's metrics in one transaction. `201` with `status:
    created`, or `200` with `status: duplicate` when this `event_id` was already stored with the same
    body (nothing changes). The same `event_id` with a different body is a `409`. The response carries
    the tier changes the event caused and, for a key that also holds `customers:read`, the customer's
    resulting traits, metrics and tiers (`customer` is `null` otherwise).

    Scope: `events:write`.

    Args:
        body (EventIn): One thing a customer did.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventCreated | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: EventIn,
) -> Response[EventCreated | Problem]:
    """Send one event

     Stores the event and updates the customer's metrics in one transaction. `201` with `status:
    created`, or `200` with `status: duplicate` when this `event_id` was already stored with the same
    body (nothing changes). The same `event_id` with a different body is a `409`. The response carries
    the tier changes the event caused and, for a key that also holds `customers:read`, the customer's
    resulting traits, metrics and tiers (`customer` is `null` otherwise).

    Scope: `events:write`.

    Args:
        body (EventIn): One thing a customer did.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventCreated | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: EventIn,
) -> EventCreated | Problem | None:
    """Send one event

     Stores the event and updates the customer's metrics in one transaction. `201` with `status:
    created`, or `200` with `status: duplicate` when this `event_id` was already stored with the same
    body (nothing changes). The same `event_id` with a different body is a `409`. The response carries
    the tier changes the event caused and, for a key that also holds `customers:read`, the customer's
    resulting traits, metrics and tiers (`customer` is `null` otherwise).

    Scope: `events:write`.

    Args:
        body (EventIn): One thing a customer did.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventCreated | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
