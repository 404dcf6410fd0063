from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.metric_definition import MetricDefinition
from ...models.metric_definition_in import MetricDefinitionIn
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    name: str,
    *,
    body: MetricDefinitionIn,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/metrics/{name}".format(
            name=quote(str(name), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MetricDefinition | Problem | None:
    if response.status_code == 200:
        response_200 = MetricDefinition.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = MetricDefinition.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[MetricDefinition | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: MetricDefinitionIn,
) -> Response[MetricDefinition | Problem]:
    """Define or redefine a metric

     An aggregation of one event type over N whole UTC days or the lifetime. `201` when new, `200` when
    replaced. A definition over events not yet rolled up is `pending` until its backfill job finishes
    (`job_id`); events keep flowing meanwhile.

    Scope: `schemes:write`.

    Args:
        name (str): Lowercase identifier, e.g. `nps_180d`.
        body (MetricDefinitionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MetricDefinition | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    name: str,
    *,
    client: AuthenticatedClient,
    body: MetricDefinitionIn,
) -> MetricDefinition | Problem | None:
    """Define or redefine a metric

     An aggregation of one event type over N whole UTC days or the lifetime. `201` when new, `200` when
    replaced. A definition over events not yet rolled up is `pending` until its backfill job finishes
    (`job_id`); events keep flowing meanwhile.

    Scope: `schemes:write`.

    Args:
        name (str): Lowercase identifier, e.g. `nps_180d`.
        body (MetricDefinitionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MetricDefinition | Problem
    """

    return sync_detailed(
        name=name,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    name: str,
    *,
    client: AuthenticatedClient,
    body: MetricDefinitionIn,
) -> Response[MetricDefinition | Problem]:
    """Define or redefine a metric

     An aggregation of one event type over N whole UTC days or the lifetime. `201` when new, `200` when
    replaced. A definition over events not yet rolled up is `pending` until its backfill job finishes
    (`job_id`); events keep flowing meanwhile.

    Scope: `schemes:write`.

    Args:
        name (str): Lowercase identifier, e.g. `nps_180d`.
        body (MetricDefinitionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MetricDefinition | Problem]
    """

    kwargs = _get_kwargs(
        name=name,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    name: str,
    *,
    client: AuthenticatedClient,
    body: MetricDefinitionIn,
) -> MetricDefinition | Problem | None:
    """Define or redefine a metric

     An aggregation of one event type over N whole UTC days or the lifetime. `201` when new, `200` when
    replaced. A definition over events not yet rolled up is `pending` until its backfill job finishes
    (`job_id`); events keep flowing meanwhile.

    Scope: `schemes:write`.

    Args:
        name (str): Lowercase identifier, e.g. `nps_180d`.
        body (MetricDefinitionIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MetricDefinition | Problem
    """

    return (
        await asyncio_detailed(
            name=name,
            client=client,
            body=body,
        )
    ).parsed
