"""HTTP routes for user-defined metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.responses import problems
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.classification import schemes
from app.customers.metrics import BUILTIN_METRICS
from app.metrics import service
from app.metrics.aggregate import AMOUNT
from app.metrics.schemas import MetricDefinition, MetricDefinitionIn
from app.pagination import DEFAULT_LIMIT, Page, next_cursor

router = APIRouter(prefix="/v1/metrics", tags=["Metrics"], responses=problems(401, 403))

Writer = Annotated[Principal, Depends(require(Scope.SCHEMES_WRITE))]
Reader = Annotated[Principal, Depends(require(Scope.CUSTOMERS_READ))]
Name = Annotated[str, Path(max_length=63, description="Lowercase identifier, e.g. `nps_180d`.")]


def _definition(row: Any) -> MetricDefinition:
    return MetricDefinition(
        name=row.name,
        event_type=row.event_type,
        aggregation=row.aggregation,
        property=None if row.property == AMOUNT else f"{service.PROPERTY_PREFIX}{row.property}",
        window_days=row.window_days,
        status="ready" if row.ready else "pending",
        job_id=row.job_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.put(
    "/{name}",
    summary="Define or redefine a metric",
    description="An aggregation of one event type over N whole UTC days or the lifetime. "
    "`201` when new, `200` when replaced. A definition over events not yet rolled up is "
    "`pending` until its backfill job finishes (`job_id`); events keep flowing meanwhile.",
    responses={201: {"model": MetricDefinition, "description": "Created."}, **problems(422)},
)
async def put_metric(
    name: Name,
    body: MetricDefinitionIn,
    response: Response,
    conn: Transaction,
    now: Now,
    principal: Writer,
) -> MetricDefinition:
    row, created = await service.put(
        conn,
        principal.workspace_id,
        name,
        event_type=body.event_type,
        aggregation=body.aggregation,
        property_path=body.property,
        window_days=body.window_days,
        now=now,
        builtins=BUILTIN_METRICS,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _definition(row)


@router.get("", summary="The workspace's metric definitions, by name", responses=problems(400))
async def list_metrics(
    conn: Transaction, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[MetricDefinition]:
    rows = await service.list_page(conn, principal.workspace_id, cursor, limit)
    return Page[MetricDefinition](
        items=[_definition(row) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda row: [row.name]),
    )


@router.get("/{name}", summary="One metric definition", responses=problems(404))
async def get_metric(name: Name, conn: Transaction, principal: Reader) -> MetricDefinition:
    return _definition(await service.get(conn, principal.workspace_id, name))


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a metric definition",
    description="Roll-ups no other definition uses are deleted with it. `409` while a "
    "scheme's rules read the metric.",
    responses=problems(404, 409),
)
async def delete_metric(name: Name, conn: Transaction, principal: Writer) -> None:
    await schemes.delete_metric(conn, principal.workspace_id, name)
