"""Queries for webhook endpoints and for the messages, deliveries and attempts of the outbox
(the outbox writes messages; ``app.webhooks.outbox`` owns that)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Update, and_, delete, exists, func, insert, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.repository import config_changed
from app.db import Record
from app.db.tables import (
    schemes,
    segments,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_messages,
)

endpoint = webhook_endpoints.c
message = webhook_messages.c
delivery = webhook_deliveries.c


def _jsonb(value: dict[str, Any] | None) -> Any:
    # A plain None would be stored as the JSON value null, not as SQL NULL.
    return null() if value is None else value


async def known_schemes(conn: AsyncConnection, workspace_id: UUID, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` naming a scheme of the workspace, archived or not."""
    result = await conn.execute(
        select(schemes.c.key).where(schemes.c.workspace_id == workspace_id, schemes.c.key.in_(keys))
    )
    return set(result.scalars())


async def known_segments(
    conn: AsyncConnection, workspace_id: UUID, keys: Sequence[str]
) -> set[str]:
    """Those of ``keys`` naming a segment of the workspace, archived or not."""
    result = await conn.execute(
        select(segments.c.key).where(
            segments.c.workspace_id == workspace_id, segments.c.key.in_(keys)
        )
    )
    return set(result.scalars())


# --- endpoints -----------------------------------------------------------------------------


async def insert_endpoint(
    conn: AsyncConnection,
    workspace_id: UUID,
    values: dict[str, Any],
    secret: str,
    now: datetime,
) -> Record:
    """``values``: url, description, event_types, filter, enabled, disabled_reason and
    disabled_at."""
    result = await conn.execute(
        insert(webhook_endpoints)
        .values(
            workspace_id=workspace_id,
            id=func.gen_random_uuid(),
            secret=secret,
            created_at=now,
            updated_at=now,
            **{**values, "filter": _jsonb(values["filter"])},
        )
        .returning(*webhook_endpoints.c)
    )
    await config_changed(conn, workspace_id)
    return result.one()


async def get_endpoint(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, *, lock: bool = False
) -> Record | None:
    query = select(webhook_endpoints).where(
        endpoint.workspace_id == workspace_id, endpoint.id == endpoint_id
    )
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def endpoints_page(
    conn: AsyncConnection, workspace_id: UUID, after: tuple[datetime, UUID] | None, limit: int
) -> list[Record]:
    query = select(webhook_endpoints).where(endpoint.workspace_id == workspace_id)
    if after is not None:
        created_at, endpoint_id = after
        query = query.where(
            or_(
                endpoint.created_at > created_at,
                and_(endpoint.created_at == created_at, endpoint.id > endpoint_id),
            )
        )
    query = query.order_by(endpoint.created_at, endpoint.id).limit(limit + 1)
    return list((await conn.execute(query)).all())


async def update_endpoint(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, values: dict[str, Any]
) -> Record:
    if "filter" in values:
        values = {**values, "filter": _jsonb(values["filter"])}
    result = await conn.execute(
        update(webhook_endpoints)
        .where(endpoint.workspace_id == workspace_id, endpoint.id == endpoint_id)
        .values(**values)
        .returning(*webhook_endpoints.c)
    )
    await config_changed(conn, workspace_id)
    return result.one()


async def delete_endpoint(conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> bool:
    """Deletes the endpoint with its deliveries and their attempts (by cascade)."""
    result = await conn.execute(
        delete(webhook_endpoints)
        .where(endpoint.workspace_id == workspace_id, endpoint.id == endpoint_id)
        .returning(endpoint.id)
    )
    await config_changed(conn, workspace_id)
    return result.first() is not None


# --- re-queuing ----------------------------------------------------------------------------


def _requeue(workspace_id: UUID, now: datetime) -> Update:
    """Back to the start of the retry schedule, due now, free for any worker to claim."""
    return (
        update(webhook_deliveries)
        .where(delivery.workspace_id == workspace_id)
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=now,
            leased_until=None,
            delivered_at=None,
        )
        .returning(delivery.message_id)
    )


async def requeue_failed_since(
    conn: AsyncConnection, workspace_id: UUID, endpoint_id: UUID, since: datetime, now: datetime
) -> int:
    """Re-queues the endpoint's failed deliveries of messages created at or after ``since``."""
    result = await conn.execute(
        _requeue(workspace_id, now).where(
            delivery.endpoint_id == endpoint_id,
            delivery.status == "failed",
            message.workspace_id == workspace_id,
            message.id == delivery.message_id,
            message.created_at >= since,
        )
    )
    return len(result.all())


async def requeue_message(
    conn: AsyncConnection,
    workspace_id: UUID,
    message_id: UUID,
    endpoint_id: UUID | None,
    now: datetime,
) -> int:
    """Re-queues every delivery of the message, whatever its status, or only the one to
    ``endpoint_id``."""
    query = _requeue(workspace_id, now).where(delivery.message_id == message_id)
    if endpoint_id is not None:
        query = query.where(delivery.endpoint_id == endpoint_id)
    return len((await conn.execute(query)).all())


# --- messages ------------------------------------------------------------------------------


async def messages_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    before: int | None,
    limit: int,
    type_: str | None,
    customer_id: str | None,
    status: str | None,
    endpoint_id: UUID | None = None,
) -> list[Record]:
    """Newest first (by ``seq``), those before ``before``; with ``endpoint_id``, those with
    a delivery to that endpoint (in ``status``, if given)."""
    query = select(webhook_messages).where(message.workspace_id == workspace_id)
    if before is not None:
        query = query.where(message.seq < before)
    if type_ is not None:
        query = query.where(message.type == type_)
    if customer_id is not None:
        query = query.where(message.customer_id == customer_id)
    if status is not None or endpoint_id is not None:
        to_endpoint = exists().where(
            delivery.workspace_id == workspace_id, delivery.message_id == message.id
        )
        if status is not None:
            to_endpoint = to_endpoint.where(delivery.status == status)
        if endpoint_id is not None:
            to_endpoint = to_endpoint.where(delivery.endpoint_id == endpoint_id)
        query = query.where(to_endpoint)
    query = query.order_by(message.seq.desc()).limit(limit + 1)
    return list((await conn.execute(query)).all())


async def get_message(conn: AsyncConnection, workspace_id: UUID, message_id: UUID) -> Record | None:
    result = await conn.execute(
        select(webhook_messages).where(
            message.workspace_id == workspace_id, message.id == message_id
        )
    )
    return result.first()


async def deliveries(
    conn: AsyncConnection,
    workspace_id: UUID,
    message_ids: Sequence[UUID],
    endpoint_id: UUID | None = None,
) -> list[Record]:
    query = select(webhook_deliveries).where(
        delivery.workspace_id == workspace_id, delivery.message_id.in_(message_ids)
    )
    if endpoint_id is not None:
        query = query.where(delivery.endpoint_id == endpoint_id)
    result = await conn.execute(
        query.order_by(delivery.message_id, delivery.created_at, delivery.endpoint_id)
    )
    return list(result.all())


async def has_delivery(
    conn: AsyncConnection, workspace_id: UUID, message_id: UUID, endpoint_id: UUID
) -> bool:
    result = await conn.execute(
        select(delivery.status).where(
            delivery.workspace_id == workspace_id,
            delivery.message_id == message_id,
            delivery.endpoint_id == endpoint_id,
        )
    )
    return result.first() is not None


async def attempts(conn: AsyncConnection, workspace_id: UUID, message_id: UUID) -> list[Record]:
    """Oldest first: ``seq`` follows the order attempts were recorded in."""
    result = await conn.execute(
        select(webhook_attempts)
        .where(
            webhook_attempts.c.workspace_id == workspace_id,
            webhook_attempts.c.message_id == message_id,
        )
        .order_by(webhook_attempts.c.seq)
    )
    return list(result.all())
