"""Queries for workspaces and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ScalarSelect, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from app.db import Record
from app.db.tables import api_keys, workspaces


async def config_changed(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Bumps the workspace's configuration version, in the transaction of the change: every
    process drops what it cached of the workspace at its next event
    (``app.classification.config``)."""
    await conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(config_version=workspaces.c.config_version + 1)
    )


def config_version(workspace_id: UUID | ColumnElement[UUID]) -> ScalarSelect[int]:
    """The workspace's configuration version, to read as a column of another statement (in
    its snapshot); NULL once the workspace is deleted."""
    return (
        select(workspaces.c.config_version)
        .where(workspaces.c.id == workspace_id, workspaces.c.deleted_at.is_(None))
        .scalar_subquery()
    )


async def base_currency(conn: AsyncConnection, workspace_id: UUID) -> str:
    """The currency the workspace's amounts are converted into, and its money shown in."""
    result = await conn.execute(
        select(workspaces.c.base_currency).where(workspaces.c.id == workspace_id)
    )
    currency: str = result.scalar_one()
    return currency


async def find_active_key(conn: AsyncConnection, key_hash: bytes) -> Record | None:
    result = await conn.execute(
        select(
            api_keys.c.workspace_id,
            api_keys.c.id,
            api_keys.c.scopes,
            workspaces.c.base_currency,
        )
        .join(workspaces, workspaces.c.id == api_keys.c.workspace_id)
        .where(
            api_keys.c.key_hash == key_hash,
            api_keys.c.revoked_at.is_(None),
            workspaces.c.deleted_at.is_(None),
        )
    )
    return result.first()


async def insert_workspace(
    conn: AsyncConnection, workspace_id: UUID, slug: str, name: str, base_currency: str
) -> Record:
    result = await conn.execute(
        insert(workspaces)
        .values(id=workspace_id, slug=slug, name=name, base_currency=base_currency)
        .returning(*workspaces.c)
    )
    return result.one()


async def get_workspace(conn: AsyncConnection, workspace_id: UUID) -> Record | None:
    result = await conn.execute(
        select(workspaces).where(workspaces.c.id == workspace_id, workspaces.c.deleted_at.is_(None))
    )
    return result.first()


async def get_workspace_by_slug(conn: AsyncConnection, slug: str) -> Record | None:
    result = await conn.execute(
        select(workspaces).where(workspaces.c.slug == slug, workspaces.c.deleted_at.is_(None))
    )
    return result.first()


async def slug_taken(conn: AsyncConnection, slug: str) -> bool:
    result = await conn.execute(select(workspaces.c.id).where(workspaces.c.slug == slug))
    return result.first() is not None


async def list_workspaces(
    conn: AsyncConnection, after: tuple[datetime, UUID] | None, limit: int
) -> list[Record]:
    query = select(workspaces).where(workspaces.c.deleted_at.is_(None))
    if after is not None:
        created_at, workspace_id = after
        query = query.where(
            or_(
                workspaces.c.created_at > created_at,
                and_(workspaces.c.created_at == created_at, workspaces.c.id > workspace_id),
            )
        )
    query = query.order_by(workspaces.c.created_at, workspaces.c.id).limit(limit + 1)
    return list((await conn.execute(query)).all())


async def update_workspace(
    conn: AsyncConnection, workspace_id: UUID, changes: dict[str, Any]
) -> Record | None:
    result = await conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id, workspaces.c.deleted_at.is_(None))
        .values(**changes, config_version=workspaces.c.config_version + 1)
        .returning(*workspaces.c)
    )
    return result.first()


async def mark_workspace_deleted(conn: AsyncConnection, workspace_id: UUID, at: datetime) -> bool:
    result = await conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id, workspaces.c.deleted_at.is_(None))
        .values(deleted_at=at, config_version=workspaces.c.config_version + 1)
        .returning(workspaces.c.id)
    )
    return result.first() is not None


async def insert_key(
    conn: AsyncConnection,
    *,
    workspace_id: UUID,
    key_id: UUID,
    name: str,
    prefix: str,
    key_hash: bytes,
    scopes: list[str],
    created_at: datetime,
) -> Record:
    result = await conn.execute(
        insert(api_keys)
        .values(
            workspace_id=workspace_id,
            id=key_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=scopes,
            created_at=created_at,
        )
        .returning(*api_keys.c)
    )
    await config_changed(conn, workspace_id)
    return result.one()


async def find_key_by_hash(conn: AsyncConnection, key_hash: bytes) -> Record | None:
    result = await conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash))
    return result.first()


async def list_keys(
    conn: AsyncConnection, workspace_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[Record]:
    query = select(api_keys).where(api_keys.c.workspace_id == workspace_id)
    if after is not None:
        created_at, key_id = after
        query = query.where(
            or_(
                api_keys.c.created_at > created_at,
                and_(api_keys.c.created_at == created_at, api_keys.c.id > key_id),
            )
        )
    query = query.order_by(api_keys.c.created_at, api_keys.c.id).limit(limit + 1)
    return list((await conn.execute(query)).all())


async def revoke_key(
    conn: AsyncConnection, workspace_id: UUID, key_id: UUID, at: datetime
) -> Record | None:
    """Marks the key revoked (keeping the first revocation time) and returns it."""
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.workspace_id == workspace_id, api_keys.c.id == key_id)
        .values(revoked_at=func.coalesce(api_keys.c.revoked_at, at))
        .returning(*api_keys.c)
    )
    await config_changed(conn, workspace_id)
    return result.first()
