import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.segment_flows import SegmentFlows
from ...models.segment_flows_interval import SegmentFlowsInterval
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
    interval: SegmentFlowsInterval | Unset = SegmentFlowsInterval.MONTH,
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

    json_interval: str | Unset = UNSET
    if not isinstance(interval, Unset):
        json_interval = interval.value

    params["interval"] = json_interval

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/analytics/segments/{key}/flows".format(
            key=quote(str(key), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | SegmentFlows | None:
    if response.status_code == 200:
        response_200 = SegmentFlows.from_dict(response.json())

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
) -> Response[Problem | SegmentFlows]:
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
    interval: SegmentFlowsInterval | Unset = SegmentFlowsInterval.MONTH,
) -> Response[Problem | SegmentFlows]:
    """A saved segment's entries and exits per month, week or day, and its size

     Counts the segment's history (`GET /v1/customers/{id}/segments/history`) with `changed_at` in the
    UTC days `from` to `to`, both inclusive, per calendar month, ISO week or day, and the members at the
    end of each period: the members now less the entries and plus the exits after it. Customers erased
    since are not counted: their history and memberships are erased with them. Defaults: `to` today,
    `from` the first day of the month eleven months before (twelve months). An archived segment still
    answers from its history. `from` after `to`, or a period longer than 3,660 days, is a `422` naming
    `from`.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.
        interval (SegmentFlowsInterval | Unset): The length of each row: `month`, `week` or `day`.
            Default: SegmentFlowsInterval.MONTH.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SegmentFlows]
    """

    kwargs = _get_kwargs(
        key=key,
        from_=from_,
        to=to,
        interval=interval,
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
    interval: SegmentFlowsInterval | Unset = SegmentFlowsInterval.MONTH,
) -> Problem | SegmentFlows | None:
    """A saved segment's entries and exits per month, week or day, and its size

     Counts the segment's history (`GET /v1/customers/{id}/segments/history`) with `changed_at` in the
    UTC days `from` to `to`, both inclusive, per calendar month, ISO week or day, and the members at the
    end of each period: the members now less the entries and plus the exits after it. Customers erased
    since are not counted: their history and memberships are erased with them. Defaults: `to` today,
    `from` the first day of the month eleven months before (twelve months). An archived segment still
    answers from its history. `from` after `to`, or a period longer than 3,660 days, is a `422` naming
    `from`.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.
        interval (SegmentFlowsInterval | Unset): The length of each row: `month`, `week` or `day`.
            Default: SegmentFlowsInterval.MONTH.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SegmentFlows
    """

    return sync_detailed(
        key=key,
        client=client,
        from_=from_,
        to=to,
        interval=interval,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
    interval: SegmentFlowsInterval | Unset = SegmentFlowsInterval.MONTH,
) -> Response[Problem | SegmentFlows]:
    """A saved segment's entries and exits per month, week or day, and its size

     Counts the segment's history (`GET /v1/customers/{id}/segments/history`) with `changed_at` in the
    UTC days `from` to `to`, both inclusive, per calendar month, ISO week or day, and the members at the
    end of each period: the members now less the entries and plus the exits after it. Customers erased
    since are not counted: their history and memberships are erased with them. Defaults: `to` today,
    `from` the first day of the month eleven months before (twelve months). An archived segment still
    answers from its history. `from` after `to`, or a period longer than 3,660 days, is a `422` naming
    `from`.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.
        interval (SegmentFlowsInterval | Unset): The length of each row: `month`, `week` or `day`.
            Default: SegmentFlowsInterval.MONTH.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SegmentFlows]
    """

    kwargs = _get_kwargs(
        key=key,
        from_=from_,
        to=to,
        interval=interval,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.date | None | Unset = UNSET,
    to: datetime.date | None | Unset = UNSET,
    interval: SegmentFlowsInterval | Unset = SegmentFlowsInterval.MONTH,
) -> Problem | SegmentFlows | None:
    """A saved segment's entries and exits per month, week or day, and its size

     Counts the segment's history (`GET /v1/customers/{id}/segments/history`) with `changed_at` in the
    UTC days `from` to `to`, both inclusive, per calendar month, ISO week or day, and the members at the
    end of each period: the members now less the entries and plus the exits after it. Customers erased
    since are not counted: their history and memberships are erased with them. Defaults: `to` today,
    `from` the first day of the month eleven months before (twelve months). An archived segment still
    answers from its history. `from` after `to`, or a period longer than 3,660 days, is a `422` naming
    `from`.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key.
        from_ (datetime.date | None | Unset): First day (UTC) of the period, inclusive.
        to (datetime.date | None | Unset): Last day (UTC) of the period, inclusive.
        interval (SegmentFlowsInterval | Unset): The length of each row: `month`, `week` or `day`.
            Default: SegmentFlowsInterval.MONTH.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SegmentFlows
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            from_=from_,
            to=to,
            interval=interval,
        )
    ).parsed
