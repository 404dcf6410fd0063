"""Queries for idempotency keys."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Record
from app.db.tables import idempotency_keys


def _lock_id(workspace_id: UUID, key: str) -> int:
    """The advisory lock of one workspace's key: 64 bits of a hash, so that two keys share a
    lock only by a 1 in 2^64 chance."""
    digest = hashlib.sha256(b"idempotency-key\0" + workspace_id.bytes + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def try_lock(conn: AsyncConnection, workspace_id: UUID, key: str) -> bool:
    """Takes the key's lock until the transaction ends; False at once when another
    transaction holds it. A lock of the session's server, not of a table: on Citus the
    coordinator's, where every request's transaction runs."""
    result = await conn.execute(
        text("SELECT pg_try_advisory_xact_lock(:lock)"), {"lock": _lock_id(workspace_id, key)}
    )
    return bool(result.scalar_one())


async def insert_claim(
    conn: AsyncConnection,
    workspace_id: UUID,
    key: str,
    fingerprint: bytes,
    now: datetime,
    expired: datetime,
) -> bool:
    """Inserts the key's record with no answer yet, or takes over one created at or before
    ``expired``; False when a live record holds the key."""
    statement = insert(idempotency_keys).values(
        workspace_id=workspace_id, key=key, fingerprint=fingerprint, created_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[idempotency_keys.c.workspace_id, idempotency_keys.c.key],
        set_={
            "fingerprint": statement.excluded.fingerprint,
            "created_at": statement.excluded.created_at,
            "status_code": None,
            "response": None,
        },
        where=idempotency_keys.c.created_at <= expired,
    )
    result = await conn.execute(statement.returning(idempotency_keys.c.key))
    return result.first() is not None


async def find(conn: AsyncConnection, workspace_id: UUID, key: str) -> Record | None:
    result = await conn.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.workspace_id == workspace_id, idempotency_keys.c.key == key
        )
    )
    return result.first()


async def store_answer(
    conn: AsyncConnection, workspace_id: UUID, key: str, status_code: int, body: Any
) -> None:
    await conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.workspace_id == workspace_id, idempotency_keys.c.key == key)
        .values(status_code=status_code, response=body)
    )


async def workspaces_with_expired(conn: AsyncConnection, expired: datetime) -> list[UUID]:
    """The workspaces holding a record created at or before ``expired``, read without locks."""
    result = await conn.execute(
        select(idempotency_keys.c.workspace_id)
        .where(idempotency_keys.c.created_at <= expired)
        .distinct()
        .order_by(idempotency_keys.c.workspace_id)
    )
    return list(result.scalars())


async def delete_expired(
    conn: AsyncConnection, workspace_id: UUID, expired: datetime, limit: int
) -> int:
    """Deletes up to ``limit`` of the workspace's records created at or before ``expired``."""
    chunk = (
        select(idempotency_keys.c.key)
        .where(
            idempotency_keys.c.workspace_id == workspace_id,
            idempotency_keys.c.created_at <= expired,
        )
        .limit(limit)
    )
    result = await conn.execute(
        idempotency_keys.delete().where(
            idempotency_keys.c.workspace_id == workspace_id, idempotency_keys.c.key.in_(chunk)
        )
    )
    return int(result.rowcount)
