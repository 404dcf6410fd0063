from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.clv_model import ClvModel
from ...models.problem import Problem
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/models/clv",
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ClvModel | Problem | None:
    if response.status_code == 200:
        response_200 = ClvModel.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ClvModel | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[ClvModel | Problem]:
    """The active CLV model

     The parameters of the active model (durations in days), the customers it was fitted on, the log-
    likelihoods and convergence of both fits and, when the fit kept a holdout, the tracking curve:
    predicted against actual repeat purchase days in the holdout, week by week. The models see each
    customer's purchase days (UTC days with an order; several orders on one day are one purchase):
    `frequency` = purchase days after the first, `recency` = days from the first to the last, `T` = days
    from the first to the calibration end, and the mean net total (orders minus that day's refunds) of
    the repeat days. Customers whose first order is after the calibration end are left out.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ClvModel | Problem]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> ClvModel | Problem | None:
    """The active CLV model

     The parameters of the active model (durations in days), the customers it was fitted on, the log-
    likelihoods and convergence of both fits and, when the fit kept a holdout, the tracking curve:
    predicted against actual repeat purchase days in the holdout, week by week. The models see each
    customer's purchase days (UTC days with an order; several orders on one day are one purchase):
    `frequency` = purchase days after the first, `recency` = days from the first to the last, `T` = days
    from the first to the calibration end, and the mean net total (orders minus that day's refunds) of
    the repeat days. Customers whose first order is after the calibration end are left out.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ClvModel | Problem
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[ClvModel | Problem]:
    """The active CLV model

     The parameters of the active model (durations in days), the customers it was fitted on, the log-
    likelihoods and convergence of both fits and, when the fit kept a holdout, the tracking curve:
    predicted against actual repeat purchase days in the holdout, week by week. The models see each
    customer's purchase days (UTC days with an order; several orders on one day are one purchase):
    `frequency` = purchase days after the first, `recency` = days from the first to the last, `T` = days
    from the first to the calibration end, and the mean net total (orders minus that day's refunds) of
    the repeat days. Customers whose first order is after the calibration end are left out.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ClvModel | Problem]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> ClvModel | Problem | None:
    """The active CLV model

     The parameters of the active model (durations in days), the customers it was fitted on, the log-
    likelihoods and convergence of both fits and, when the fit kept a holdout, the tracking curve:
    predicted against actual repeat purchase days in the holdout, week by week. The models see each
    customer's purchase days (UTC days with an order; several orders on one day are one purchase):
    `frequency` = purchase days after the first, `recency` = days from the first to the last, `T` = days
    from the first to the calibration end, and the mean net total (orders minus that day's refunds) of
    the repeat days. Customers whose first order is after the calibration end are left out.

    Scope: `customers:read`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ClvModel | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
