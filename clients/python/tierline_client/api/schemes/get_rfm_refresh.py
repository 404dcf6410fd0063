from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.rfm_refresh_out import RfmRefreshOut
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/schemes/rfm/refresh",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RfmRefreshOut | None:
    if response.status_code == 200:
        response_200 = RfmRefreshOut.from_dict(response.json())

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
) -> Response[Problem | RfmRefreshOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[Problem | RfmRefreshOut]:
    """The last RFM refresh

     Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` from 1 to 5 as
    `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` descending (the most recent order
    scores highest; days are whole UTC days), `order_count` ascending and `lifetime_spend` ascending.
    `cume_dist` is the share of customers whose value comes before or equals one's own, so equal values
    get equal scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without
    orders have null scores.

    Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) =
    3, 4 and 5; with `rfm_m` 3, the first two get `rfm_fm` round(2.5) = 3.

    The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and searches) but change
    only at a refresh: every 24 hours, or on request here.

    When the scores were last computed, and the cut points then.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RfmRefreshOut]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> Problem | RfmRefreshOut | None:
    """The last RFM refresh

     Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` from 1 to 5 as
    `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` descending (the most recent order
    scores highest; days are whole UTC days), `order_count` ascending and `lifetime_spend` ascending.
    `cume_dist` is the share of customers whose value comes before or equals one's own, so equal values
    get equal scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without
    orders have null scores.

    Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) =
    3, 4 and 5; with `rfm_m` 3, the first two get `rfm_fm` round(2.5) = 3.

    The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and searches) but change
    only at a refresh: every 24 hours, or on request here.

    When the scores were last computed, and the cut points then.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RfmRefreshOut
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[Problem | RfmRefreshOut]:
    """The last RFM refresh

     Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` from 1 to 5 as
    `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` descending (the most recent order
    scores highest; days are whole UTC days), `order_count` ascending and `lifetime_spend` ascending.
    `cume_dist` is the share of customers whose value comes before or equals one's own, so equal values
    get equal scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without
    orders have null scores.

    Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) =
    3, 4 and 5; with `rfm_m` 3, the first two get `rfm_fm` round(2.5) = 3.

    The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and searches) but change
    only at a refresh: every 24 hours, or on request here.

    When the scores were last computed, and the cut points then.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RfmRefreshOut]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> Problem | RfmRefreshOut | None:
    """The last RFM refresh

     Among the customers with at least one order, each gets `rfm_r`, `rfm_f` and `rfm_m` from 1 to 5 as
    `ceil(5 * cume_dist)` over, respectively, `days_since_last_order` descending (the most recent order
    scores highest; days are whole UTC days), `order_count` ascending and `lifetime_spend` ascending.
    `cume_dist` is the share of customers whose value comes before or equals one's own, so equal values
    get equal scores. `rfm_fm` is the mean of `rfm_f` and `rfm_m` rounded half up. Customers without
    orders have null scores.

    Example: 5 customers with 1, 1, 2, 3 and 8 orders get `rfm_f` ceil(5 * 2/5) = 2, 2, ceil(5 * 3/5) =
    3, 4 and 5; with `rfm_m` 3, the first two get `rfm_fm` round(2.5) = 3.

    The scores are metrics like any other (`metrics.rfm_r` in schemes, segments and searches) but change
    only at a refresh: every 24 hours, or on request here.

    When the scores were last computed, and the cut points then.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RfmRefreshOut
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
