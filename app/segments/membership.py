"""Keeping segment membership up to date: the SQL engine over a set of customers, one
statement per segment, called by the classification pipeline (``app.classification``) for
every trigger, in its cause's transaction and under the customers' row locks. Each entry and
exit is recorded with its time, reason and cause. ``next_review`` is the Python engine's
view of when a segment's time comparison next flips for one customer.

A segment reading a metric still being backfilled keeps its members until the backfill ends,
as schemes keep their tiers (a null there would read as a drop).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest, utc_day
from app.customers.columns import Among, among, fenced_columns, id_parameters
from app.db.statements import compiled_select, execute_template
from app.metrics.aggregate import Definition
from app.rules.compile import compile_condition, compile_next_flip
from app.rules.evaluate import next_flip_among
from app.segments.model import Segment


@dataclass(frozen=True, slots=True)
class Applied:
    """What ``apply`` did: the entries and exits, by customer, and the next moment a
    segment's time comparison flips for each customer that has one."""

    changes: list[MembershipChange]
    flips: dict[str, list[datetime]]


@dataclass(frozen=True, slots=True)
class MembershipChange:
    customer_id: str
    segment: str
    version: int
    change: Literal["entered", "exited"]


def next_review(
    segments: Iterable[Segment], customer: Mapping[str, Any], now: datetime
) -> datetime | None:
    return earliest(*(next_flip_among(s.timed, customer, now) for s in segments))


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
           CASE WHEN c.inside THEN 'entered' ELSE 'exited' END, {now}, {reason},
           COALESCE({causes} -> c.customer_id, {cause})
    FROM current c
    WHERE c.inside <> c.was
    ORDER BY c.customer_id
)
SELECT customer_id, inside, was, flip FROM current ORDER BY customer_id
"""


def _facts(
    segment: Segment,
    workspace_id: UUID,
    definitions: Sequence[Definition],
    now: datetime,
    customers_of: Among,
) -> sa.Select[Any]:
    """Per customer of the parameter ``customers_of`` names: inside the segment now, and
    the next moment a time comparison flips."""
    fenced, columns = fenced_columns(
        workspace_id, definitions, now, segment.reads_metrics, segment.reads_schemes, customers_of
    )
    return sa.select(
        fenced.c.customer_id,
        compile_condition(segment.condition, columns, now).label("inside"),
        compile_next_flip(segment.condition, columns, now).label("flip"),
    )


async def apply(
    conn: AsyncConnection,
    workspace_id: UUID,
    segments: Iterable[Segment],
    definitions: Sequence[Definition],
    ids: list[str],
    now: datetime,
    reason: str,
    cause: Mapping[str, Any],
    causes: Mapping[str, Mapping[str, Any]],
    pending_metrics: Iterable[str] = (),
) -> Applied:
    """Re-evaluates the customers ``ids`` (whose rows the caller holds locked) in each
    segment; returns the entries and exits, by customer, segments in the given order, and
    the segments' review moments. A customer's history rows carry its entry in ``causes``,
    else ``cause``."""
    flips: dict[str, list[datetime]] = {}
    if not ids:
        return Applied([], flips)
    waiting = set(pending_metrics)
    today = utc_day(now)
    customers_of = among(ids)
    changes: list[MembershipChange] = []
    for segment in segments:
        if segment.reads_metrics & waiting:
            continue
        key = (_APPLY, workspace_id, segment.key, segment.version, today, tuple(definitions))
        build = partial(_facts, segment, workspace_id, definitions, now, customers_of)
        facts = compiled_select((*key, customers_of), build, conn.dialect)
        own: dict[str, tuple[Any, str]] = {
            "ws": (workspace_id, "uuid"),
            "key": (segment.key, "text"),
            "version": (segment.version, "integer"),
            "now": (now, "timestamptz"),
            "reason": (reason, "text"),
            "cause": (json.dumps(cause), "jsonb"),
            "causes": (json.dumps(causes), "jsonb"),
        }
        result = await execute_template(conn, _APPLY, "facts", facts, own, id_parameters(ids))
        for row in result:
            if row.flip is not None:
                flips.setdefault(row.customer_id, []).append(row.flip)
            if row.inside != row.was:
                moved: Literal["entered", "exited"] = "entered" if row.inside else "exited"
                changes.append(
                    MembershipChange(row.customer_id, segment.key, segment.version, moved)
                )
    changes.sort(key=lambda c: c.customer_id)  # stable: segments in order per customer
    return Applied(changes, flips)
