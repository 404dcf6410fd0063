from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.export_segment_format import ExportSegmentFormat
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    key: str,
    *,
    format_: ExportSegmentFormat | Unset = ExportSegmentFormat.CSV,
    fields: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    json_fields: None | str | Unset
    if isinstance(fields, Unset):
        json_fields = UNSET
    else:
        json_fields = fields
    params["fields"] = json_fields

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/segments/{key}/export".format(
            key=quote(str(key), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem]:
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
    format_: ExportSegmentFormat | Unset = ExportSegmentFormat.CSV,
    fields: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Export a segment's members

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). The members are those listed by `GET /v1/segments/{key}/customers`, whatever the
    segment's definition reads. Without `customers:read` the key may select, filter and sort by
    `customer_id`, `metrics` and `tiers` only: a trait or other profile field is a `403` naming the
    scope.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key, e.g. `vip-machinery`.
        format_ (ExportSegmentFormat | Unset): `csv` or `ndjson`. Default:
            ExportSegmentFormat.CSV.
        fields (None | str | Unset): Comma-separated field paths, e.g.
            `customer_id,traits.email,metrics.spend_365d`. Default: `customer_id`, `metrics`, `tiers`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        format_=format_,
        fields=fields,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    key: str,
    *,
    client: AuthenticatedClient,
    format_: ExportSegmentFormat | Unset = ExportSegmentFormat.CSV,
    fields: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Export a segment's members

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). The members are those listed by `GET /v1/segments/{key}/customers`, whatever the
    segment's definition reads. Without `customers:read` the key may select, filter and sort by
    `customer_id`, `metrics` and `tiers` only: a trait or other profile field is a `403` naming the
    scope.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key, e.g. `vip-machinery`.
        format_ (ExportSegmentFormat | Unset): `csv` or `ndjson`. Default:
            ExportSegmentFormat.CSV.
        fields (None | str | Unset): Comma-separated field paths, e.g.
            `customer_id,traits.email,metrics.spend_365d`. Default: `customer_id`, `metrics`, `tiers`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        key=key,
        client=client,
        format_=format_,
        fields=fields,
    ).parsed


async def asyncio_detailed(
    key: str,
    *,
    client: AuthenticatedClient,
    format_: ExportSegmentFormat | Unset = ExportSegmentFormat.CSV,
    fields: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Export a segment's members

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). The members are those listed by `GET /v1/segments/{key}/customers`, whatever the
    segment's definition reads. Without `customers:read` the key may select, filter and sort by
    `customer_id`, `metrics` and `tiers` only: a trait or other profile field is a `403` naming the
    scope.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key, e.g. `vip-machinery`.
        format_ (ExportSegmentFormat | Unset): `csv` or `ndjson`. Default:
            ExportSegmentFormat.CSV.
        fields (None | str | Unset): Comma-separated field paths, e.g.
            `customer_id,traits.email,metrics.spend_365d`. Default: `customer_id`, `metrics`, `tiers`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        key=key,
        format_=format_,
        fields=fields,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    key: str,
    *,
    client: AuthenticatedClient,
    format_: ExportSegmentFormat | Unset = ExportSegmentFormat.CSV,
    fields: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Export a segment's members

     Streams every matching customer, in customer id order, without loading the result in memory: NDJSON
    (one JSON object per line, the same items as search) or CSV (a header row; `metrics` and `tiers`
    open into one column per metric and scheme; text that a spreadsheet would run as a formula is
    prefixed with `'`). The members are those listed by `GET /v1/segments/{key}/customers`, whatever the
    segment's definition reads. Without `customers:read` the key may select, filter and sort by
    `customer_id`, `metrics` and `tiers` only: a trait or other profile field is a `403` naming the
    scope.

    Scope: `segments:read`.

    Args:
        key (str): The segment's key, e.g. `vip-machinery`.
        format_ (ExportSegmentFormat | Unset): `csv` or `ndjson`. Default:
            ExportSegmentFormat.CSV.
        fields (None | str | Unset): Comma-separated field paths, e.g.
            `customer_id,traits.email,metrics.spend_365d`. Default: `customer_id`, `metrics`, `tiers`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            key=key,
            client=client,
            format_=format_,
            fields=fields,
        )
    ).parsed
