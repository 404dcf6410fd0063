"""Workspaces and API keys: the logic, free of HTTP."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import repository
from app.auth.keys import Scope, display_prefix, generate_key, grants, hash_key, looks_like_key
from app.auth.principal import Principal
from app.errors import Conflict, Forbidden, NotFound, Unauthorized
from app.pagination import InvalidCursor, decode_cursor

logger = logging.getLogger(__name__)

DEFAULT_WORKSPACE_SLUG = "default"
BOOTSTRAP_LOCK = 7_240_001
BOOTSTRAP_SCOPES = [Scope.ADMIN.value, Scope.INSTANCE.value]


class WorkspaceNotFound(NotFound):
    pass


class ApiKeyNotFound(NotFound):
    pass


class SlugTaken(Conflict):
    slug = "slug-taken"


UNKNOWN_KEY = "The API key is unknown, revoked, or its workspace was deleted."


def bearer_key(authorization: str | None) -> str:
    """The API key of an ``Authorization`` header, or the 401 its absence or form earns."""
    if not authorization:
        raise Unauthorized("Send an API key as 'Authorization: Bearer tl_...'.")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("The Authorization header must be 'Bearer <key>'.")
    if not looks_like_key(token):
        raise Unauthorized("The API key is malformed: Tierline keys start with 'tl_'.")
    return token


async def authenticate(conn: AsyncConnection, authorization: str | None) -> Principal:
    row = await repository.find_active_key(conn, hash_key(bearer_key(authorization)))
    if row is None:
        raise Unauthorized(UNKNOWN_KEY)
    return Principal(
        workspace_id=row.workspace_id,
        key_id=row.id,
        scopes=frozenset(row.scopes),
        base_currency=row.base_currency,
    )


def authorize(principal: Principal, scope: Scope) -> None:
    if not grants(principal.scopes, scope):
        raise Forbidden(f"This key lacks the '{scope.value}' scope.", required_scope=scope.value)


async def create_key(
    conn: AsyncConnection,
    workspace_id: UUID,
    name: str,
    scopes: list[str],
    now: datetime,
    key: str | None = None,
) -> tuple[Any, str]:
    """Stores a new key and returns its row and the secret, which is never stored."""
    secret = key or generate_key()
    row = await repository.insert_key(
        conn,
        workspace_id=workspace_id,
        key_id=uuid.uuid4(),
        name=name,
        prefix=display_prefix(secret),
        key_hash=hash_key(secret),
        scopes=sorted(set(scopes)),
        created_at=now,
    )
    return row, secret


def check_grantable(principal: Principal, scopes: list[str]) -> None:
    """A key can hand out only what it holds itself."""
    for scope in scopes:
        if not grants(principal.scopes, Scope(scope)):
            raise Forbidden(
                f"This key cannot grant the '{scope}' scope it does not hold.",
                required_scope=scope,
            )


async def create_workspace(
    conn: AsyncConnection, slug: str, name: str, base_currency: str, now: datetime
) -> tuple[Any, Any, str]:
    if await repository.slug_taken(conn, slug):
        raise SlugTaken(f"A workspace with slug '{slug}' already exists.")
    workspace = await repository.insert_workspace(conn, uuid.uuid4(), slug, name, base_currency)
    key_row, secret = await create_key(conn, workspace.id, "admin", [Scope.ADMIN.value], now)
    return workspace, key_row, secret


async def get_workspace(conn: AsyncConnection, workspace_id: UUID) -> Any:
    row = await repository.get_workspace(conn, workspace_id)
    if row is None:
        raise WorkspaceNotFound("The workspace does not exist.")
    return row


async def resolve_workspace(conn: AsyncConnection, slug_or_id: str) -> Any:
    """For the CLI: a workspace named by slug or by id."""
    row = await repository.get_workspace_by_slug(conn, slug_or_id)
    if row is None:
        try:
            row = await repository.get_workspace(conn, UUID(slug_or_id))
        except ValueError:
            row = None
    if row is None:
        raise WorkspaceNotFound(f"No workspace '{slug_or_id}'.")
    return row


async def update_workspace(
    conn: AsyncConnection, workspace_id: UUID, changes: dict[str, Any]
) -> Any:
    if not changes:
        return await get_workspace(conn, workspace_id)
    row = await repository.update_workspace(conn, workspace_id, changes)
    if row is None:
        raise WorkspaceNotFound("The workspace does not exist.")
    return row


class DefaultWorkspaceKept(Conflict):
    slug, title = "default-workspace", "The default workspace cannot be deleted"


async def delete_workspace(conn: AsyncConnection, workspace_id: UUID, now: datetime) -> None:
    workspace = await repository.get_workspace(conn, workspace_id)
    if workspace is not None and workspace.slug == DEFAULT_WORKSPACE_SLUG:
        raise DefaultWorkspaceKept(
            "The default workspace holds the instance's bootstrap key and cannot be deleted."
        )
    if not await repository.mark_workspace_deleted(conn, workspace_id, now):
        raise WorkspaceNotFound("The workspace does not exist.")


async def list_workspaces(conn: AsyncConnection, cursor: str | None, limit: int) -> list[Any]:
    after = _created_at_id_cursor(cursor)
    return await repository.list_workspaces(conn, after, limit)


async def list_keys(
    conn: AsyncConnection, workspace_id: UUID, cursor: str | None, limit: int
) -> list[Any]:
    return await repository.list_keys(conn, workspace_id, _created_at_id_cursor(cursor), limit)


async def revoke_key(conn: AsyncConnection, workspace_id: UUID, key_id: UUID, now: datetime) -> Any:
    row = await repository.revoke_key(conn, workspace_id, key_id, now)
    if row is None:
        raise ApiKeyNotFound("No such API key in this workspace.")
    return row


def _created_at_id_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if cursor is None:
        return None
    created_at, row_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), UUID(row_id)
    except (TypeError, ValueError) as error:
        raise InvalidCursor("The cursor is not one this service issued.") from error


async def bootstrap(conn: AsyncConnection, now: datetime, bootstrap_key: str | None) -> str | None:
    """Makes sure the default workspace exists, with an admin key.

    Returns a newly generated key to print once, or None when nothing new was generated.
    Servers starting together serialise here, so exactly one creates the workspace.
    """
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOTSTRAP_LOCK})
    workspace = await repository.get_workspace_by_slug(conn, DEFAULT_WORKSPACE_SLUG)
    created = workspace is None
    if workspace is None:
        workspace = await repository.insert_workspace(
            conn, uuid.uuid4(), DEFAULT_WORKSPACE_SLUG, "Default workspace", "EUR"
        )
    if bootstrap_key is not None:
        existing = await repository.find_key_by_hash(conn, hash_key(bootstrap_key))
        if existing is None:
            await create_key(conn, workspace.id, "bootstrap", BOOTSTRAP_SCOPES, now, bootstrap_key)
        elif existing.workspace_id != workspace.id:
            raise RuntimeError("TIERLINE_BOOTSTRAP_KEY is already used by another workspace")
        elif existing.revoked_at is not None:
            # Revoking is an operator's decision a restart must not undo: a new value of
            # TIERLINE_BOOTSTRAP_KEY makes a new key.
            logger.warning(
                "TIERLINE_BOOTSTRAP_KEY names a key that was revoked; it stays revoked. "
                "Set TIERLINE_BOOTSTRAP_KEY to a new value for a working bootstrap key."
            )
        return None
    if created:
        _, secret = await create_key(conn, workspace.id, "admin", BOOTSTRAP_SCOPES, now)
        return secret
    return None
