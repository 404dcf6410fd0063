from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.fit_in import FitIn
from ...models.fit_queued import FitQueued
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: FitIn,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/models/clv/fit",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> FitQueued | Problem | None:
    if response.status_code == 202:
        response_202 = FitQueued.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[FitQueued | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: FitIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[FitQueued | Problem]:
    """Fit the workspace's CLV model

     Queues a fit of BG/NBD (purchase days and the chance a customer is still active) and Gamma-Gamma
    (spend per purchase) by maximum likelihood, as a job. The models see each customer's purchase days
    (UTC days with an order; several orders on one day are one purchase): `frequency` = purchase days
    after the first, `recency` = days from the first to the last, `T` = days from the first to the
    calibration end, and the mean net total (orders minus that day's refunds) of the repeat days.
    Customers whose first order is after the calibration end are left out.

    When both models converge the new model replaces the active one and every customer's predictions
    (`p_alive`, `expected_orders_90d`, `expected_orders_365d`, `expected_order_value`,
    `predicted_clv_365d`) are recomputed, re-classifying what reads them (history reason `model_refit`).
    A fit that fails or does not converge leaves the active model in place; its job says why.

    422 when the calibration end is in the future or before the first order, the holdout is negative or
    would end after today, or fewer than 30 customers have a repeat purchase by the calibration end.

    Scope: `schemes:write`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (FitIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FitQueued | Problem]
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
    body: FitIn,
    idempotency_key: None | str | Unset = UNSET,
) -> FitQueued | Problem | None:
    """Fit the workspace's CLV model

     Queues a fit of BG/NBD (purchase days and the chance a customer is still active) and Gamma-Gamma
    (spend per purchase) by maximum likelihood, as a job. The models see each customer's purchase days
    (UTC days with an order; several orders on one day are one purchase): `frequency` = purchase days
    after the first, `recency` = days from the first to the last, `T` = days from the first to the
    calibration end, and the mean net total (orders minus that day's refunds) of the repeat days.
    Customers whose first order is after the calibration end are left out.

    When both models converge the new model replaces the active one and every customer's predictions
    (`p_alive`, `expected_orders_90d`, `expected_orders_365d`, `expected_order_value`,
    `predicted_clv_365d`) are recomputed, re-classifying what reads them (history reason `model_refit`).
    A fit that fails or does not converge leaves the active model in place; its job says why.

    422 when the calibration end is in the future or before the first order, the holdout is negative or
    would end after today, or fewer than 30 customers have a repeat purchase by the calibration end.

    Scope: `schemes:write`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (FitIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FitQueued | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: FitIn,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[FitQueued | Problem]:
    """Fit the workspace's CLV model

     Queues a fit of BG/NBD (purchase days and the chance a customer is still active) and Gamma-Gamma
    (spend per purchase) by maximum likelihood, as a job. The models see each customer's purchase days
    (UTC days with an order; several orders on one day are one purchase): `frequency` = purchase days
    after the first, `recency` = days from the first to the last, `T` = days from the first to the
    calibration end, and the mean net total (orders minus that day's refunds) of the repeat days.
    Customers whose first order is after the calibration end are left out.

    When both models converge the new model replaces the active one and every customer's predictions
    (`p_alive`, `expected_orders_90d`, `expected_orders_365d`, `expected_order_value`,
    `predicted_clv_365d`) are recomputed, re-classifying what reads them (history reason `model_refit`).
    A fit that fails or does not converge leaves the active model in place; its job says why.

    422 when the calibration end is in the future or before the first order, the holdout is negative or
    would end after today, or fewer than 30 customers have a repeat purchase by the calibration end.

    Scope: `schemes:write`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (FitIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FitQueued | Problem]
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
    body: FitIn,
    idempotency_key: None | str | Unset = UNSET,
) -> FitQueued | Problem | None:
    """Fit the workspace's CLV model

     Queues a fit of BG/NBD (purchase days and the chance a customer is still active) and Gamma-Gamma
    (spend per purchase) by maximum likelihood, as a job. The models see each customer's purchase days
    (UTC days with an order; several orders on one day are one purchase): `frequency` = purchase days
    after the first, `recency` = days from the first to the last, `T` = days from the first to the
    calibration end, and the mean net total (orders minus that day's refunds) of the repeat days.
    Customers whose first order is after the calibration end are left out.

    When both models converge the new model replaces the active one and every customer's predictions
    (`p_alive`, `expected_orders_90d`, `expected_orders_365d`, `expected_order_value`,
    `predicted_clv_365d`) are recomputed, re-classifying what reads them (history reason `model_refit`).
    A fit that fails or does not converge leaves the active model in place; its job says why.

    422 when the calibration end is in the future or before the first order, the holdout is negative or
    would end after today, or fewer than 30 customers have a repeat purchase by the calibration end.

    Scope: `schemes:write`.

    Args:
        idempotency_key (None | str | Unset): Makes the request safe to retry. The first answer to
            a key (status and body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`,
            for the same key and the same request (method, path, query and body), without doing
            anything again; a secret the first answer showed is `null` in the replay
            (`secret_shown_once: true`). The same key with another request is a 409 `idempotency-key-
            reused`; while the first request is still in progress, a 409 `idempotency-key-in-use`. A
            request that fails keeps nothing: its key may be sent again. Keys belong to the workspace
            of the calling key. 1 to 255 printable ASCII characters; a UUID v4 is a good choice.
        body (FitIn):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FitQueued | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
