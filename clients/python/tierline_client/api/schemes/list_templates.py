from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_template_out import PageTemplateOut
from ...models.problem import Problem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/schemes/templates",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageTemplateOut | Problem | None:
    if response.status_code == 200:
        response_200 = PageTemplateOut.from_dict(response.json())

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
) -> Response[PageTemplateOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[PageTemplateOut | Problem]:
    """Scheme templates, with their thresholds

     Proven classifications to start from: `value` (VIP / regular / potential), `rfm` (the RFM groups
    over the RFM scores), `lifecycle` (new / active / at risk / churned), `industrial` (strategic / key
    / general account) and `clv` (tiers by the CLV model's predicted value, with a churn-risk segment).
    Each lists its thresholds with their defaults and the scheme (and segments) it installs with them.
    All on one page.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTemplateOut | Problem]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> PageTemplateOut | Problem | None:
    """Scheme templates, with their thresholds

     Proven classifications to start from: `value` (VIP / regular / potential), `rfm` (the RFM groups
    over the RFM scores), `lifecycle` (new / active / at risk / churned), `industrial` (strategic / key
    / general account) and `clv` (tiers by the CLV model's predicted value, with a churn-risk segment).
    Each lists its thresholds with their defaults and the scheme (and segments) it installs with them.
    All on one page.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTemplateOut | Problem
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[PageTemplateOut | Problem]:
    """Scheme templates, with their thresholds

     Proven classifications to start from: `value` (VIP / regular / potential), `rfm` (the RFM groups
    over the RFM scores), `lifecycle` (new / active / at risk / churned), `industrial` (strategic / key
    / general account) and `clv` (tiers by the CLV model's predicted value, with a churn-risk segment).
    Each lists its thresholds with their defaults and the scheme (and segments) it installs with them.
    All on one page.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageTemplateOut | Problem]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> PageTemplateOut | Problem | None:
    """Scheme templates, with their thresholds

     Proven classifications to start from: `value` (VIP / regular / potential), `rfm` (the RFM groups
    over the RFM scores), `lifecycle` (new / active / at risk / churned), `industrial` (strategic / key
    / general account) and `clv` (tiers by the CLV model's predicted value, with a churn-risk segment).
    Each lists its thresholds with their defaults and the scheme (and segments) it installs with them.
    All on one page.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageTemplateOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
