"""HTTP routes for classification schemes and customers' tier history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.customers.router import CustomerIdPath
from app.pagination import DEFAULT_LIMIT, Page, next_cursor
from app.tiers import service
from app.tiers.schemas import KEY_PATTERN, Scheme, SchemeIn, SchemeVersion, TierHistoryItem

router = APIRouter(tags=["Schemes"], responses=problems(401, 403))

Writer = Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))]
Reader = Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))]
SchemeKey = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        description="The scheme's key, e.g. `value`; used in `tiers.<key>` conditions.",
    ),
]


def _version_fields(row: Any) -> dict[str, Any]:
    definition = row.definition
    return {
        "key": row.key,
        "version": row.version,
        "name": definition["name"],
        "description": definition.get("description"),
        "tiers": definition["tiers"],
        "default_tier": definition["default_tier"],
        "downgrade_grace_days": definition["downgrade_grace_days"],
        "min_days_in_tier": definition["min_days_in_tier"],
        "grace_on_change": definition["grace_on_change"],
        "saved_at": row.saved_at,
        "saved_by": row.saved_by,
        "job_id": row.job_id,
    }


def _scheme(row: Any) -> Scheme:
    return Scheme(
        **_version_fields(row),
        created_at=row.created_at,
        updated_at=row.updated_at,
        archived_at=row.archived_at,
    )


@router.put(
    "/v1/schemes/{key}",
    summary="Create a scheme or save a new version of it",
    description="Every save is a new version; earlier versions stay readable. The new "
    "version applies at once to customers as their events arrive, and to everyone in the "
    "background (`job_id`, progress at `GET /v1/jobs/{id}`), recording each change in the "
    "tier history with reason `rule_change`. `201` when the scheme is new (or was archived), "
    "`200` for a new version. A `422` names what is wrong and leaves the current version "
    "active.",
    responses={201: {"model": Scheme, "description": "Created."}, **problems(400, 422)},
)
async def put_scheme(
    key: SchemeKey,
    body: SchemeIn,
    response: Response,
    conn: Transaction,
    now: Now,
    principal: Writer,
) -> Scheme:
    row, created = await service.put(conn, principal.workspace_id, key, body, principal.key_id, now)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _scheme(row)


@router.get("/v1/schemes", summary="The workspace's schemes, by key", responses=problems(400))
async def list_schemes(
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    archived: Annotated[bool, Query(description="Include archived schemes.")] = False,
) -> Page[Scheme]:
    rows = await service.list_page(conn, principal.workspace_id, cursor, limit, archived)
    return Page[Scheme](
        items=[_scheme(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.key]),
    )


@router.get("/v1/schemes/{key}", summary="A scheme's current version", responses=problems(404))
async def get_scheme(key: SchemeKey, conn: Transaction, principal: Reader) -> Scheme:
    return _scheme(await service.get(conn, principal.workspace_id, key))


@router.get(
    "/v1/schemes/{key}/versions/{version}",
    summary="One version of a scheme, as it was saved",
    responses=problems(404),
)
async def get_scheme_version(
    key: SchemeKey,
    version: Annotated[int, Path(ge=1, le=2_147_483_647)],
    conn: Transaction,
    principal: Reader,
) -> SchemeVersion:
    row = await service.get_version(conn, principal.workspace_id, key, version)
    return SchemeVersion(**_version_fields(row))


@router.delete(
    "/v1/schemes/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Archive a scheme",
    description="Customers stop being classified in it and lose their tier there; its "
    "versions and the tier history stay. Saving it again brings it back. `409` while another "
    "scheme reads its tiers.",
    responses=problems(404, 409),
)
async def archive_scheme(key: SchemeKey, conn: Transaction, now: Now, principal: Writer) -> None:
    await service.archive(conn, principal.workspace_id, key, now)


@router.get(
    "/v1/customers/{customer_id}/tiers/history",
    tags=["Customers"],
    summary="A customer's tier changes, newest first",
    responses=problems(400, 404),
)
async def tier_history(
    customer_id: CustomerIdPath,
    conn: Transaction,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    scheme: Annotated[
        str | None, Query(pattern=KEY_PATTERN, description="Only this scheme's changes.")
    ] = None,
) -> Page[TierHistoryItem]:
    rows = await service.history_page(
        conn, principal.workspace_id, customer_id, scheme, cursor, limit
    )
    return Page[TierHistoryItem](
        items=[
            TierHistoryItem(
                scheme=row.scheme_key,
                version=row.version,
                from_tier=row.from_tier,
                to_tier=row.to_tier,
                reason=row.reason,
                changed_at=row.changed_at,
                cause=row.cause,
            )
            for row in rows[:limit]
        ],
        next_cursor=next_cursor(rows, limit, lambda row: [row.seq]),
    )
