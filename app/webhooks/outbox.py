"""The transactional outbox: messages written in the transaction of the change they report.

A message is written only when an enabled endpoint wants it (its event types and filter), with
one pending delivery per such endpoint, in the same statement; ``wake`` then queues a NOTIFY,
which PostgreSQL sends only when the transaction commits, carrying the workspace id only.
Changes whose cause is silent (an import, a scheme version saved with ``"notify": false``)
are never handed to this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.webhooks import CHANNEL, CUSTOMER_DELETED, SEGMENT_ENTERED, SEGMENT_EXITED, TIER_CHANGED

Movement = Literal["entered", "up", "down"] | None


@dataclass(frozen=True, slots=True)
class NewMessage:
    type: str
    customer_id: str | None
    data: Mapping[str, Any]
    endpoints: Sequence[UUID]


@dataclass(frozen=True, slots=True)
class Subscriber:
    """An enabled endpoint and what it subscribes to; a filter part that is None admits all."""

    id: UUID
    types: frozenset[str] | None
    """None: every type, including those added later."""
    schemes: frozenset[str] | None
    tiers: frozenset[str] | None
    segments: frozenset[str] | None
    direction: Literal["up", "down", "any"]

    def takes(self, type_: str) -> bool:
        return self.types is None or type_ in self.types

    def wants_tier_change(
        self, scheme: str, from_tier: str | None, to_tier: str, moved: Movement
    ) -> bool:
        if not self.takes(TIER_CHANGED):
            return False
        if self.schemes is not None and scheme not in self.schemes:
            return False
        if self.tiers is not None and not {from_tier, to_tier} & self.tiers:
            return False
        # A move whose direction cannot be told (from a tier the version dropped) is sent
        # rather than lost; a first tier passes an `up` filter, as it did before it had a
        # direction of its own.
        return (
            self.direction == "any"
            or moved is None
            or moved == self.direction
            or (moved == "entered" and self.direction == "up")
        )

    def wants_segment_change(self, segment: str, type_: str) -> bool:
        return self.takes(type_) and (self.segments is None or segment in self.segments)


def _frozen(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@dataclass(frozen=True, slots=True)
class Routes:
    """A workspace's enabled endpoints, read once per transaction that has changes."""

    subscribers: tuple[Subscriber, ...]

    def __bool__(self) -> bool:
        return bool(self.subscribers)

    def for_tier_change(
        self, scheme: str, from_tier: str | None, to_tier: str, moved: Movement
    ) -> list[UUID]:
        return [
            s.id for s in self.subscribers if s.wants_tier_change(scheme, from_tier, to_tier, moved)
        ]

    def for_segment_change(self, segment: str, type_: str) -> list[UUID]:
        return [s.id for s in self.subscribers if s.wants_segment_change(segment, type_)]

    def tier_subscribers(self) -> list[dict[str, Any]]:
        """The endpoints that take ``customer.tier_changed``, with their filters, for a
        statement that routes tier changes itself (``app.tiers.bulk``): it applies
        ``Subscriber.wants_tier_change`` in SQL."""
        return [
            {
                "id": str(s.id),
                "schemes": None if s.schemes is None else sorted(s.schemes),
                "tiers": None if s.tiers is None else sorted(s.tiers),
                "direction": s.direction,
            }
            for s in self.subscribers
            if s.takes(TIER_CHANGED)
        ]

    def for_type(self, type_: str) -> list[UUID]:
        return [s.id for s in self.subscribers if s.takes(type_)]


async def routes(conn: AsyncConnection, workspace_id: UUID) -> Routes:
    rows = await conn.execute(
        text(
            "SELECT id, event_types, filter FROM webhook_endpoints "
            "WHERE workspace_id = :ws AND enabled ORDER BY id"
        ),
        {"ws": workspace_id},
    )
    subscribers = []
    for row in rows:
        found = row.filter or {}
        subscribers.append(
            Subscriber(
                id=row.id,
                types=_frozen(row.event_types),
                schemes=_frozen(found.get("schemes")),
                tiers=_frozen(found.get("tiers")),
                segments=_frozen(found.get("segments")),
                direction=found.get("direction") or "any",
            )
        )
    return Routes(tuple(subscribers))


def tier_changed(
    scheme: str,
    scheme_version: int,
    customer_id: str,
    from_tier: str | None,
    to_tier: str,
    moved: Movement,
    reason: str,
    metrics: Mapping[str, Any],
    at: datetime,
) -> dict[str, Any]:
    """The data of a ``customer.tier_changed`` message; ``metrics`` as the profile shows
    them, the ones the scheme's conditions read."""
    return {
        "customer_id": customer_id,
        "scheme": scheme,
        "scheme_version": scheme_version,
        "from_tier": from_tier,
        "to_tier": to_tier,
        "direction": moved,
        "reason": reason,
        "changed_at": at,
        "metrics": {name: metrics.get(name) for name in sorted(metrics)},
    }


def segment_changed(
    segment: str, version: int, customer_id: str, reason: str, at: datetime
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "segment": segment,
        "segment_version": version,
        "reason": reason,
        "changed_at": at,
    }


def segment_type(change: Literal["entered", "exited"]) -> str:
    return SEGMENT_ENTERED if change == "entered" else SEGMENT_EXITED


_ENQUEUE = text(
    """
    WITH incoming AS (
        SELECT m.ord, gen_random_uuid() AS id, m.type, m.customer_id, m.data, m.endpoints
        FROM jsonb_to_recordset(CAST(:messages AS jsonb)) AS m(
            ord integer, type text, customer_id text, data jsonb, endpoints uuid[]
        )
    ),
    message AS (
        INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
        SELECT :ws, i.id, i.type, i.customer_id, i.data, :now FROM incoming i ORDER BY i.ord
    )
    INSERT INTO webhook_deliveries
        (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT :ws, i.id, e, 'pending', :now, :now
    FROM incoming i, unnest(i.endpoints) AS e
    RETURNING message_id
    """
)


async def wake(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Wakes the delivery workers once the transaction commits (never before)."""
    await conn.execute(
        text("SELECT pg_notify(:channel, :ws)"), {"channel": CHANNEL, "ws": str(workspace_id)}
    )


async def enqueue_many(
    conn: AsyncConnection, workspace_id: UUID, messages: Sequence[NewMessage], now: datetime
) -> list[UUID]:
    """Writes the messages that some endpoint wants, in order (so their ``seq`` follows
    it), each with a delivery due now per endpoint; returns their ids in that order."""
    wanted = [m for m in messages if m.endpoints]
    if not wanted:
        return []
    rows = [
        {
            "ord": i,
            "type": m.type,
            "customer_id": m.customer_id,
            "data": to_jsonable_python(m.data),
            "endpoints": [str(e) for e in m.endpoints],
        }
        for i, m in enumerate(wanted)
    ]
    result = await conn.execute(
        _ENQUEUE, {"ws": workspace_id, "now": now, "messages": json.dumps(rows)}
    )
    await wake(conn, workspace_id)
    return list(dict.fromkeys(row.message_id for row in result))


async def enqueue(
    conn: AsyncConnection,
    workspace_id: UUID,
    type_: str,
    customer_id: str | None,
    data: Mapping[str, Any],
    now: datetime,
    endpoint_ids: Sequence[UUID],
) -> UUID | None:
    """Writes one message with a delivery, due now, to each endpoint; returns its id, or
    None when there is no endpoint to deliver it to."""
    ids = await enqueue_many(
        conn, workspace_id, [NewMessage(type_, customer_id, data, endpoint_ids)], now
    )
    return ids[0] if ids else None


async def customer_deleted(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime, *, notify: bool
) -> int:
    """Drops what the outbox kept about an erased customer (payloads, attempts and their
    response excerpts; returns how many messages) and, if ``notify``, tells the subscribers
    so they can erase too. That message carries the customer id only."""
    result = await conn.execute(
        text("DELETE FROM webhook_messages WHERE workspace_id = :ws AND customer_id = :cid"),
        {"ws": workspace_id, "cid": customer_id},
    )
    if not notify:
        return int(getattr(result, "rowcount", 0))
    endpoints = (await routes(conn, workspace_id)).for_type(CUSTOMER_DELETED)
    await enqueue(
        conn,
        workspace_id,
        CUSTOMER_DELETED,
        customer_id,
        {"customer_id": customer_id, "deleted_at": now},
        now,
        endpoints,
    )
    return int(getattr(result, "rowcount", 0))
