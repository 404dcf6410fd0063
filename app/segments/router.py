"""HTTP routes for customer queries, saved segments and exports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from app.api.deps import Configured, Cursor, Limit, Now, Transaction, configured, require
from app.api.limits import EXPORT_POOL, WorkspaceLimits
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.auth.service import UNKNOWN_KEY
from app.classification.config import WorkspaceConfig
from app.customers.router import CustomerIdPath
from app.errors import Unauthorized
from app.pagination import DEFAULT_LIMIT, Page, next_cursor
from app.rules.schema import Node
from app.segments import export, query, service
from app.segments.schemas import (
    CountIn,
    CountOut,
    CustomerSegment,
    ExportIn,
    SearchIn,
    SearchItem,
    Segment,
    SegmentChange,
    SegmentIn,
    SegmentMember,
    SortKey,
)
from app.validation import KEY_PATTERN

T = TypeVar("T")

router = APIRouter(tags=["Segments"], responses=problems(401, 403))

Reader = Annotated[Principal, Depends(require(Scope.SEGMENTS_READ))]
Writer = Annotated[Principal, Depends(require(Scope.SEGMENTS_WRITE))]
ConfiguredReader = Annotated[Configured, Depends(configured(Scope.SEGMENTS_READ), scope="function")]
CustomerReader = Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))]
SegmentKey = Annotated[
    str, Path(pattern=KEY_PATTERN, description="The segment's key, e.g. `vip-machinery`.")
]
Format = Literal["csv", "ndjson"]

PROFILE_SCOPE_NOTE = (
    " Without `customers:read` the key may select, filter and sort by `customer_id`, "
    "`metrics` and `tiers` only: a trait or other profile field is a `403` naming the scope."
)
EXPORT_DESCRIPTION = (
    "Streams every matching customer, in customer id order, without loading the result in "
    "memory: NDJSON (one JSON object per line, the same items as search) or CSV (a header "
    "row; `metrics` and `tiers` open into one column per metric and scheme; text that a "
    "spreadsheet would run as a formula is prefixed with `'`)."
)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The customers, streamed.",
        "content": {
            "application/x-ndjson": {
                "example": '{"customer_id":"crm-42","traits":{"email":"a@example.com"}}\n'
            },
            "text/csv": {"example": "customer_id,traits.email\r\ncrm-42,a@example.com\r\n"},
        },
    }
}


def _segment(row: Any) -> Segment:
    return Segment.model_validate(row, from_attributes=True)


async def _answer(
    context: Configured,
    run: Callable[[query.Query], Awaitable[tuple[T, int | None]]],
    condition: Node | None,
    sort: list[SortKey] | None = None,
    fields: list[str] | None = None,
) -> T:
    """What ``run`` answers (with the configuration version its statement read) for the
    query checked against the caller's cached workspace configuration, once that is
    confirmed current (``ConfigCache.confirmed``: reloaded and run again if not), the
    key's scopes included."""

    async def attempt(config: WorkspaceConfig) -> tuple[T, int | None]:
        principal = config.principals.get(context.key_hash)
        if principal is None:
            raise Unauthorized(UNKNOWN_KEY)
        service.check_profile_access(principal.scopes, condition, sort or (), fields)
        built = service.query_of(
            config.workspace_id,
            context.now,
            config.base_currency,
            config.definitions,
            config.schemes,
            condition,
            sort,
            fields,
        )
        return await run(built)

    return await context.configs.confirmed(context.conn, context.key_hash, context.config, attempt)


async def _export(
    request: Request, built: query.Query, fmt: Format, filename: str
) -> export.ExportResponse:
    settings = request.app.state.settings
    limits: WorkspaceLimits = request.app.state.limits
    # Taken before the response starts, so that a busy pool is a problem (503), not a cut
    # stream; held until the response ends.
    held = AsyncExitStack()
    try:
        await held.enter_async_context(limits.connection(EXPORT_POOL, built.workspace_id))
        conn = await request.app.state.export_engine.connect()
        held.push_async_callback(export.close, conn)
    except BaseException:
        await held.aclose()
        raise
    rows = export.stream(conn, built, fmt, settings.export_max_seconds)
    return export.ExportResponse(rows, held, fmt, filename, settings.export_stall_timeout)


@router.post(
    "/v1/customers/search",
    summary="Find customers by a condition, sorted, a page at a time",
    description="Pages through the customers the condition holds for, sorted by `sort` "
    "(then the customer id), with keyset cursors: a customer whose sort values do not "
    "change between pages is never skipped or repeated. Send the next page's request with "
    "the same condition and sort and the `next_cursor` of the previous page." + PROFILE_SCOPE_NOTE,
    responses=problems(400, 422, 503),
)
async def search_customers(body: SearchIn, context: ConfiguredReader) -> Page[SearchItem]:
    async def run(built: query.Query) -> tuple[query.Page, int | None]:
        return await query.search(context.conn, built, body.cursor, body.limit)

    items, cursor = await _answer(context, run, body.condition, body.sort, body.fields)
    return Page[SearchItem](
        items=[SearchItem.model_validate(item) for item in items], next_cursor=cursor
    )


@router.post(
    "/v1/customers/count",
    summary="Count the customers a condition holds for",
    description="Exact, as of the request." + PROFILE_SCOPE_NOTE,
    responses=problems(422, 503),
)
async def count_customers(body: CountIn, context: ConfiguredReader) -> CountOut:
    async def run(built: query.Query) -> tuple[int, int | None]:
        return await query.count(context.conn, built)

    return CountOut(count=await _answer(context, run, body.condition))


@router.post(
    "/v1/customers/export",
    summary="Export the customers a condition holds for",
    description=EXPORT_DESCRIPTION + PROFILE_SCOPE_NOTE,
    response_class=export.ExportResponse,
    status_code=status.HTTP_200_OK,
    responses={**EXPORT_RESPONSES, **problems(422)},
)
async def export_customers(
    body: ExportIn, request: Request, conn: Transaction, now: Now, principal: Reader
) -> export.ExportResponse:
    service.check_profile_access(principal.scopes, body.condition, fields=body.fields)
    built = await service.build_query(
        conn,
        principal.workspace_id,
        now,
        principal.base_currency,
        body.condition,
        fields=body.fields,
    )
    return await _export(request, built, body.format, "customers")


@router.put(
    "/v1/segments/{key}",
    summary="Create a segment or change its definition",
    description="Each save is a new version. Membership follows every event, trait change "
    "and the passing of time at once; a new definition is applied to every customer in the "
    "background (`job_id`), recording each entry and exit with reason `rule_change`. `201` "
    "when the segment is new (or was archived), `200` otherwise.",
    responses={201: {"model": Segment, "description": "Created."}, **problems(422)},
)
async def put_segment(
    key: SegmentKey,
    body: SegmentIn,
    response: Response,
    conn: Transaction,
    now: Now,
    principal: Writer,
) -> Segment:
    row, created = await service.put(conn, principal.workspace_id, key, body, principal.key_id, now)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _segment(row)


@router.get("/v1/segments", summary="List segments, by key")
async def list_segments(
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    archived: Annotated[bool, Query(description="Include archived segments.")] = False,
) -> Page[Segment]:
    rows = await service.list_page(conn, principal.workspace_id, cursor, limit, archived)
    return Page[Segment](
        items=[_segment(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.key]),
    )


@router.get("/v1/segments/{key}", summary="A segment's definition", responses=problems(404))
async def get_segment(key: SegmentKey, conn: Transaction, principal: Reader) -> Segment:
    return _segment(await service.get(conn, principal.workspace_id, key))


@router.delete(
    "/v1/segments/{key}",
    summary="Archive a segment",
    description="Its members are dropped (without exit records); the membership history "
    "stays. Saving the key again revives it.",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
)
async def archive_segment(key: SegmentKey, conn: Transaction, now: Now, principal: Writer) -> None:
    await service.archive(conn, principal.workspace_id, key, now)


@router.get(
    "/v1/segments/{key}/customers",
    summary="A segment's members, by customer id",
    responses=problems(400, 404),
)
async def list_members(
    key: SegmentKey,
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[SegmentMember]:
    rows = await service.members_page(conn, principal.workspace_id, key, cursor, limit)
    return Page[SegmentMember](
        items=[SegmentMember(customer_id=row.customer_id, since=row.since) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.customer_id]),
    )


@router.get(
    "/v1/segments/{key}/count", summary="How many members a segment has", responses=problems(404)
)
async def count_members(key: SegmentKey, conn: Transaction, principal: Reader) -> CountOut:
    return CountOut(count=await service.member_count(conn, principal.workspace_id, key))


@router.get(
    "/v1/segments/{key}/export",
    summary="Export a segment's members",
    description=EXPORT_DESCRIPTION + " The members are those listed by "
    "`GET /v1/segments/{key}/customers`, whatever the segment's definition reads."
    + PROFILE_SCOPE_NOTE,
    response_class=export.ExportResponse,
    status_code=status.HTTP_200_OK,
    responses={**EXPORT_RESPONSES, **problems(404, 422)},
)
async def export_segment(
    key: SegmentKey,
    request: Request,
    conn: Transaction,
    now: Now,
    principal: Reader,
    fmt: Annotated[Format, Query(alias="format", description="`csv` or `ndjson`.")] = "csv",
    fields: Annotated[
        str | None,
        Query(
            max_length=20_000,
            description="Comma-separated field paths, e.g. `customer_id,traits.email,"
            "metrics.spend_365d`. Default: `customer_id`, `metrics`, `tiers`.",
        ),
    ] = None,
) -> export.ExportResponse:
    paths = None if fields is None else [path.strip() for path in fields.split(",")]
    # The saved definition may read traits: the export shows none unless they are asked for.
    service.check_profile_access(principal.scopes, None, fields=paths)
    await service.get_active(conn, principal.workspace_id, key)
    built = await service.build_query(
        conn, principal.workspace_id, now, principal.base_currency, None, fields=paths, segment=key
    )
    return await _export(request, built, fmt, key)


@router.get(
    "/v1/customers/{customer_id}/segments",
    summary="The segments a customer is in",
    description="Every active segment the customer is a member of, on one page.",
    tags=["Customers"],
    responses=problems(404),
)
async def list_customer_segments(
    customer_id: CustomerIdPath, conn: Transaction, principal: CustomerReader
) -> Page[CustomerSegment]:
    rows = await service.customer_segments(conn, principal.workspace_id, customer_id)
    return Page(
        items=[CustomerSegment(key=row.key, name=row.name, since=row.since) for row in rows],
        next_cursor=None,
    )


@router.get(
    "/v1/customers/{customer_id}/segments/history",
    summary="A customer's segment entries and exits, newest first",
    tags=["Customers"],
    responses=problems(400, 404),
)
async def segment_history(
    customer_id: CustomerIdPath,
    conn: Transaction,
    principal: CustomerReader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[SegmentChange]:
    rows = await service.history_page(conn, principal.workspace_id, customer_id, cursor, limit)
    return Page[SegmentChange](
        items=[
            SegmentChange(
                segment=row.segment_key,
                version=row.version,
                change=row.change,
                changed_at=row.changed_at,
                reason=row.reason,
                cause=row.cause,
            )
            for row in rows[:limit]
        ],
        next_cursor=next_cursor(rows, limit, lambda row: [row.seq]),
    )
