"""Keeping segment membership up to date, with the same two engines as tiers.

``refresh_customer`` evaluates every active segment for one customer with the Python engine;
``app.tiers.service.refresh`` calls it after the customer's tiers, on each event, trait change
and due review. ``apply`` evaluates a set of customers with the SQL engine, in one statement
per segment: when a definition changes, when a scheme's tiers or a metric change in bulk, and
after an import. Both run in their cause's transaction, under the customers' row locks, and
record each entry and exit with its time, reason and cause.

A segment reading a metric still being backfilled keeps its members until the backfill ends,
as schemes keep their tiers (a null there would read as a drop).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest
from app.db.statements import execute_template
from app.db.tables import customers
from app.rules.compile import Columns, compile_condition, compile_next_flip
from app.rules.evaluate import evaluate, next_flip
from app.segments import repository
from app.segments.model import Segment
from app.webhooks import outbox


@dataclass(frozen=True, slots=True)
class MembershipChange:
    segment: str
    version: int
    change: Literal["entered", "exited"]


async def refresh_customer(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer: Mapping[str, Any],
    now: datetime,
    reason: str,
    cause: dict[str, Any],
) -> tuple[list[MembershipChange], datetime | None]:
    """Re-evaluates one customer (``customer`` as the rules see it: ``tiers`` maps each scheme
    to a tier key) in every active segment; returns the changes and the next moment a time
    comparison in a segment flips for it."""
    segments = await repository.active_segments(conn, workspace_id)
    if not segments:
        return [], None
    customer_id = customer["customer_id"]
    members = await repository.memberships(conn, workspace_id, customer_id)
    waiting = set(customer.get("pending_metrics", ()))
    entered: list[Segment] = []
    exited: list[Segment] = []
    for segment in segments:
        if segment.reads_metrics & waiting:
            continue
        inside = evaluate(segment.condition, customer, now)
        if inside and segment.key not in members:
            entered.append(segment)
        elif not inside and segment.key in members:
            exited.append(segment)
    await repository.record_changes(
        conn, workspace_id, customer_id, entered, exited, now, reason, cause
    )
    changes = [MembershipChange(s.key, s.version, "entered") for s in entered] + [
        MembershipChange(s.key, s.version, "exited") for s in exited
    ]
    return changes, next_review(segments, customer, now)


def next_review(
    segments: Iterable[Segment], customer: Mapping[str, Any], now: datetime
) -> datetime | None:
    return earliest(*(next_flip(s.condition, customer, now) for s in segments))


# One segment over a set of customers: who is inside now, against who was.
_APPLY = """
WITH facts AS ({facts}),
current AS (
    SELECT f.customer_id, f.inside, f.flip, m.customer_id IS NOT NULL AS was
    FROM facts f
    LEFT JOIN segment_members m
      ON m.workspace_id = {ws} AND m.segment_key = {key} AND m.customer_id = f.customer_id
),
entered AS (
    INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
    SELECT {ws}, {key}, c.customer_id, {now} FROM current c WHERE c.inside AND NOT c.was
    ORDER BY c.customer_id
),
exited AS (
    DELETE FROM segment_members m USING current c
    WHERE m.workspace_id = {ws} AND m.segment_key = {key} AND m.customer_id = c.customer_id
      AND c.was AND NOT c.inside
),
history AS (
    INSERT INTO segment_history (
        workspace_id, customer_id, segment_key, version, change, changed_at, reason, cause
    )
    SELECT {ws}, c.customer_id, {key}, {version},
           CASE WHEN c.inside THEN 'entered' ELSE 'exited' END, {now}, {reason}, {cause}
    FROM current c
    WHERE c.inside <> c.was
    ORDER BY c.customer_id
),
review AS (
    UPDATE customers AS u
    SET next_review_at = c.flip
    FROM current c
    WHERE u.workspace_id = {ws} AND u.customer_id = c.customer_id AND c.flip IS NOT NULL
      AND (u.next_review_at IS NULL OR c.flip < u.next_review_at)
)
SELECT customer_id, inside FROM current WHERE inside <> was ORDER BY customer_id
"""


async def apply(
    conn: AsyncConnection,
    workspace_id: UUID,
    segments: Iterable[Segment],
    columns: Columns,
    ids: list[str],
    now: datetime,
    reason: str,
    cause: dict[str, Any],
    pending_metrics: Iterable[str] = (),
    routes: outbox.Routes | None = None,
) -> int:
    """Re-evaluates the customers ``ids`` (whose rows the caller holds locked) in each
    segment, writing the outbox messages ``routes`` call for (none when it is None);
    returns how many memberships changed."""
    if not ids:
        return 0
    waiting = set(pending_metrics)
    changed = 0
    messages: list[outbox.NewMessage] = []
    for segment in segments:
        if segment.reads_metrics & waiting:
            continue
        facts = sa.select(
            customers.c.customer_id,
            compile_condition(segment.condition, columns, now).label("inside"),
            compile_next_flip(segment.condition, columns, now).label("flip"),
        ).where(
            customers.c.workspace_id == sa.literal(workspace_id, sa.Uuid()),
            customers.c.customer_id == sa.any_(sa.literal(ids, ARRAY(sa.Text()))),
        )
        own: dict[str, tuple[Any, str]] = {
            "ws": (workspace_id, "uuid"),
            "key": (segment.key, "text"),
            "version": (segment.version, "integer"),
            "now": (now, "timestamptz"),
            "reason": (reason, "text"),
            "cause": (json.dumps(cause), "jsonb"),
        }
        result = await execute_template(conn, _APPLY, "facts", facts, own)
        rows = result.all()
        changed += len(rows)
        if routes:
            messages += _messages(segment, rows, reason, routes, now)
    messages.sort(key=lambda m: m.customer_id or "")  # stable: segments in order per customer
    if messages:
        await outbox.enqueue_many(conn, workspace_id, messages, now)
    return changed


def _messages(
    segment: Segment, rows: Iterable[Any], reason: str, routes: outbox.Routes, now: datetime
) -> list[outbox.NewMessage]:
    messages = []
    for row in rows:
        type_ = outbox.segment_type("entered" if row.inside else "exited")
        messages.append(
            outbox.NewMessage(
                type_,
                row.customer_id,
                outbox.segment_changed(segment.key, segment.version, row.customer_id, reason, now),
                routes.for_segment_change(segment.key, type_),
            )
        )
    return messages
