import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.tier_transitions import TierTransitions
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    from_: datetime.datetime | None | Unset = UNSET,
    to: datetime.datetime | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_: None | str | Unset
    if isinstance(from_, Unset):
        json_from_ = UNSET
    elif isinstance(from_, datetime.datetime):
        json_from_ = from_.isoformat()
    else:
        json_from_ = from_
    params["from"] = json_from_

    json_to: None | str | Unset
    if isinstance(to, Unset):
        json_to = UNSET
    elif isinstance(to, datetime.datetime):
        json_to = to.isoformat()
    else:
        json_to = to
    params["to"] = json_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/analytics/schemes/{key}/transitions".format(
            key=quote(str(key), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | TierTransitions | None:
    if response.status_code == 200:
        response_200 = TierTransitions.from_dict(response.json())

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
) -> Response[Problem | TierTransitions]:
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
    from_: datetime.datetime | None | Unset = UNSET,
    to: datetime.datetime | None | Unset = UNSET,
) -> Response[Problem | TierTransitions]:
    """Tier changes over a period: who moved where, who entered, who left

     Counts the tier history of the scheme with `changed_at` in `[from, to)`: changes from one tier to
    another (`transitions`), first tiers (`entered`: new customers, or every customer when the scheme
    was created), and customers erased from the workspace with the tier they held (`left`). A customer
    who moved twice counts twice. Customers erased later do not appear in `transitions` or `entered`:
    their history is erased with them. Defaults: `to` now, `from` 30 days before `to`. `from` after
    `to`, or a period longer than 3,660 days, is a `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.datetime | None | Unset): Start of the period, inclusive, with a timezone.
        to (datetime.datetime | None | Unset): End of the period, exclusive, with a timezone.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierTransitions]
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
    from_: datetime.datetime | None | Unset = UNSET,
    to: datetime.datetime | None | Unset = UNSET,
) -> Problem | TierTransitions | None:
    """Tier changes over a period: who moved where, who entered, who left

     Counts the tier history of the scheme with `changed_at` in `[from, to)`: changes from one tier to
    another (`transitions`), first tiers (`entered`: new customers, or every customer when the scheme
    was created), and customers erased from the workspace with the tier they held (`left`). A customer
    who moved twice counts twice. Customers erased later do not appear in `transitions` or `entered`:
    their history is erased with them. Defaults: `to` now, `from` 30 days before `to`. `from` after
    `to`, or a period longer than 3,660 days, is a `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.datetime | None | Unset): Start of the period, inclusive, with a timezone.
        to (datetime.datetime | None | Unset): End of the period, exclusive, with a timezone.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierTransitions
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
    from_: datetime.datetime | None | Unset = UNSET,
    to: datetime.datetime | None | Unset = UNSET,
) -> Response[Problem | TierTransitions]:
    """Tier changes over a period: who moved where, who entered, who left

     Counts the tier history of the scheme with `changed_at` in `[from, to)`: changes from one tier to
    another (`transitions`), first tiers (`entered`: new customers, or every customer when the scheme
    was created), and customers erased from the workspace with the tier they held (`left`). A customer
    who moved twice counts twice. Customers erased later do not appear in `transitions` or `entered`:
    their history is erased with them. Defaults: `to` now, `from` 30 days before `to`. `from` after
    `to`, or a period longer than 3,660 days, is a `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.datetime | None | Unset): Start of the period, inclusive, with a timezone.
        to (datetime.datetime | None | Unset): End of the period, exclusive, with a timezone.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | TierTransitions]
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
    from_: datetime.datetime | None | Unset = UNSET,
    to: datetime.datetime | None | Unset = UNSET,
) -> Problem | TierTransitions | None:
    """Tier changes over a period: who moved where, who entered, who left

     Counts the tier history of the scheme with `changed_at` in `[from, to)`: changes from one tier to
    another (`transitions`), first tiers (`entered`: new customers, or every customer when the scheme
    was created), and customers erased from the workspace with the tier they held (`left`). A customer
    who moved twice counts twice. Customers erased later do not appear in `transitions` or `entered`:
    their history is erased with them. Defaults: `to` now, `from` 30 days before `to`. `from` after
    `to`, or a period longer than 3,660 days, is a `422` naming `from`.

    Scope: `segments:read`.

    Args:
        key (str): The scheme's key, e.g. `value`. An archived scheme still answers from its
            history.
        from_ (datetime.datetime | None | Unset): Start of the period, inclusive, with a timezone.
        to (datetime.datetime | None | Unset): End of the period, exclusive, with a timezone.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | TierTransitions
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            from_=from_,
            to=to,
        )
    ).parsed
