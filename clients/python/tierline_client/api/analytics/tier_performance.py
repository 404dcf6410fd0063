import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.performance import Performance
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_: None | str | Unset
    if isinstance(from_, Unset):
        json_from_ = UNSET
    elif isinstance(from_, datetime.date):
        json_from_ = from_.isoformat()
    else:
        json_from_ = from_
    params["from"] = json_from_

    json_to: None | str | Unset
    if isinstance(to, Unset):
        json_to = UNSET
    elif isinstance(to, datetime.date):
        json_to = to.isoformat()
    else:
        json_to = to
    params["to"] = json_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/analytics/schemes/{key}/performance".format(
            key=quote(str(key), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Performance | Problem | None:
    if response.status_code == 200:
        response_200 = Performance.from_dict(response.json())

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
) -> Response[Performance | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
) -> Response[Performance | Problem]:
    """What each tier's customers brought in over a period

     Groups customers by the tier they held at the start of the period (midnight UTC of `from`, from the
    tier history) and sums their daily roll-ups over the period's UTC days: `revenue` (orders minus
    refunds, in the workspace's base currency), `orders`, `average_order_value` (order amounts before
    refunds / orders, rounded half-even to 2 places, or to the currency's minor units where it has more)
    and `retention` (share of the row's customers who ordered at least once in the period, 4 decimals,
    rounded half-even). Every tier of the current version has a row; a last row with `tier: null` holds
    the newcomers: customers who held no tier at the start but got their first one before the end of the
    period or ordered in it. Customers who held no tier and did nothing in the period are in no row.
    Defaults: the 30 days ending today. `from` after `to`, or a period longer than 3,660 days, is a
    `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Performance | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
) -> Performance | Problem | None:
    """What each tier's customers brought in over a period

     Groups customers by the tier they held at the start of the period (midnight UTC of `from`, from the
    tier history) and sums their daily roll-ups over the period's UTC days: `revenue` (orders minus
    refunds, in the workspace's base currency), `orders`, `average_order_value` (order amounts before
    refunds / orders, rounded half-even to 2 places, or to the currency's minor units where it has more)
    and `retention` (share of the row's customers who ordered at least once in the period, 4 decimals,
    rounded half-even). Every tier of the current version has a row; a last row with `tier: null` holds
    the newcomers: customers who held no tier at the start but got their first one before the end of the
    period or ordered in it. Customers who held no tier and did nothing in the period are in no row.
    Defaults: the 30 days ending today. `from` after `to`, or a period longer than 3,660 days, is a
    `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Performance | Problem
    """

    return sync_detailed(
        key=key,
        client=client,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
) -> Response[Performance | Problem]:
    """What each tier's customers brought in over a period

     Groups customers by the tier they held at the start of the period (midnight UTC of `from`, from the
    tier history) and sums their daily roll-ups over the period's UTC days: `revenue` (orders minus
    refunds, in the workspace's base currency), `orders`, `average_order_value` (order amounts before
    refunds / orders, rounded half-even to 2 places, or to the currency's minor units where it has more)
    and `retention` (share of the row's customers who ordered at least once in the period, 4 decimals,
    rounded half-even). Every tier of the current version has a row; a last row with `tier: null` holds
    the newcomers: customers who held no tier at the start but got their first one before the end of the
    period or ordered in it. Customers who held no tier and did nothing in the period are in no row.
    Defaults: the 30 days ending today. `from` after `to`, or a period longer than 3,660 days, is a
    `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Performance | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
) -> Performance | Problem | None:
    """What each tier's customers brought in over a period

     Groups customers by the tier they held at the start of the period (midnight UTC of `from`, from the
    tier history) and sums their daily roll-ups over the period's UTC days: `revenue` (orders minus
    refunds, in the workspace's base currency), `orders`, `average_order_value` (order amounts before
    refunds / orders, rounded half-even to 2 places, or to the currency's minor units where it has more)
    and `retention` (share of the row's customers who ordered at least once in the period, 4 decimals,
    rounded half-even). Every tier of the current version has a row; a last row with `tier: null` holds
    the newcomers: customers who held no tier at the start but got their first one before the end of the
    period or ordered in it. Customers who held no tier and did nothing in the period are in no row.
    Defaults: the 30 days ending today. `from` after `to`, or a period longer than 3,660 days, is a
    `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Performance | Problem
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            from_=from_,
            to=to,
        )
    ).parsed
