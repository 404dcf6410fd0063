"""HTTP routes for workspaces and API keys."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, status

from app.api.deps import Cursor, Limit, Now, Transaction, require
from app.api.idempotency import Idempotent
from app.api.responses import problems
from app.auth import service
from app.auth.keys import Scope
from app.auth.principal import Principal
from app.auth.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    Workspace,
    WorkspaceCreate,
    WorkspaceCreated,
    WorkspaceUpdate,
)
from app.clv import service as clv
from app.jobs import service as jobs
from app.pagination import DEFAULT_LIMIT, Page, next_cursor
from app.webhooks import queue as delivery_queue

router = APIRouter(prefix="/v1", responses=problems(401, 403))

Admin = Annotated[Principal, Depends(require(Scope.ADMIN))]
Instance = Annotated[Principal, Depends(require(Scope.INSTANCE))]


def _key_created(row: Any, secret: str) -> ApiKeyCreated:
    return ApiKeyCreated.model_validate({**row._mapping, "key": secret})


def _cursor_key(row: Any) -> list[Any]:
    return [row.created_at.isoformat(), str(row.id)]


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    tags=["API keys"],
    summary="Create an API key",
    description="Creates a key in the caller's workspace. The secret is returned once. "
    "A key can grant only scopes it holds; `admin` holds every scope but `instance`.",
    responses=problems(422),
)
async def create_api_key(
    body: ApiKeyCreate, conn: Transaction, now: Now, principal: Admin, idempotency: Idempotent
) -> ApiKeyCreated:
    scopes = [scope.value for scope in body.scopes]
    service.check_grantable(principal, scopes)
    await idempotency.claim(conn, principal.workspace_id)
    row, secret = await service.create_key(conn, principal.workspace_id, body.name, scopes, now)
    return await idempotency.keep(_key_created(row, secret))


@router.get("/api-keys", tags=["API keys"], summary="List the workspace's API keys")
async def list_api_keys(
    conn: Transaction, principal: Admin, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ApiKey]:
    rows = await service.list_keys(conn, principal.workspace_id, cursor, limit)
    return Page[ApiKey](
        items=[ApiKey.model_validate(row._mapping) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, _cursor_key),
    )


@router.delete(
    "/api-keys/{key_id}",
    tags=["API keys"],
    summary="Revoke an API key",
    description="Revocation is immediate and idempotent; the key stays listed as revoked.",
    responses=problems(404),
)
async def revoke_api_key(key_id: UUID, conn: Transaction, now: Now, principal: Admin) -> ApiKey:
    row = await service.revoke_key(conn, principal.workspace_id, key_id, now)
    return ApiKey.model_validate(row._mapping)


@router.post(
    "/workspaces",
    status_code=status.HTTP_201_CREATED,
    tags=["Workspaces"],
    summary="Create a workspace",
    description="Creates a tenant and its first admin key, returned once. An "
    "`Idempotency-Key` sent here belongs to the workspace of the calling `instance` key.",
    responses=problems(409, 422),
)
async def create_workspace(
    body: WorkspaceCreate, conn: Transaction, now: Now, caller: Instance, idempotency: Idempotent
) -> WorkspaceCreated:
    await idempotency.claim(conn, caller.workspace_id)
    workspace, key_row, secret = await service.create_workspace(
        conn, body.slug, body.name, body.base_currency, now
    )
    created = WorkspaceCreated(
        workspace=Workspace.model_validate(workspace._mapping),
        admin_key=_key_created(key_row, secret),
    )
    return await idempotency.keep(created)


@router.get("/workspaces", tags=["Workspaces"], summary="List workspaces (scope `instance`)")
async def list_workspaces(
    conn: Transaction, _: Instance, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[Workspace]:
    rows = await service.list_workspaces(conn, cursor, limit)
    return Page[Workspace](
        items=[Workspace.model_validate(row._mapping) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, _cursor_key),
    )


@router.delete(
    "/workspaces/{workspace_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["Workspaces"],
    summary="Delete a workspace (scope `instance`)",
    description="Its keys stop working at once, its pending webhook deliveries and unfinished "
    "jobs are cancelled, and its data is purged after `TIERLINE_DELETED_WORKSPACE_RETENTION_DAYS` "
    "days. The `default` workspace cannot be deleted.",
    responses=problems(404, 409),
)
async def delete_workspace(workspace_id: UUID, conn: Transaction, now: Now, _: Instance) -> None:
    await service.delete_workspace(conn, workspace_id, now)
    await delivery_queue.cancel_workspace(conn, workspace_id)
    await jobs.cancel_workspace(conn, workspace_id, now)


@router.get("/workspace", tags=["Workspaces"], summary="The caller's workspace and its settings")
async def get_own_workspace(conn: Transaction, principal: Admin) -> Workspace:
    row = await service.get_workspace(conn, principal.workspace_id)
    return Workspace.model_validate(row._mapping)


@router.patch(
    "/workspace",
    tags=["Workspaces"],
    summary="Change the caller's workspace settings",
    description="Fields left out keep their value. Changing `base_currency` does not rewrite "
    "amounts already converted. Changing `clv_discount_rate` recomputes every customer's "
    "`predicted_clv_365d` in the background (history reason `prediction_refresh`).",
    responses=problems(422),
)
async def update_own_workspace(
    body: WorkspaceUpdate, conn: Transaction, now: Now, principal: Admin
) -> Workspace:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    before = await service.get_workspace(conn, principal.workspace_id)
    row = await service.update_workspace(conn, principal.workspace_id, changes)
    if row.clv_discount_rate != before.clv_discount_rate:
        await clv.rescore(conn, principal.workspace_id, now)
    return Workspace.model_validate(row._mapping)
