"""An import's history: each imported customer's tier and segment moves as they would have
happened had its events arrived live, in ``occurred_at`` order.

Per chunk of customers (the caller's, whose rows it holds locked), it reads the customers'
stored events in one statement, steps through each customer's timeline in Python with the
engine every event uses (``app.classification.decision``), deciding at each event (reason
``event``, cause the event's id) and at each moment the customer would have been due for a
review with no event (``next_review_at``: a window lets a figure age out, a time rule flips,
a held downgrade falls due; reason ``review`` or ``grace_expired``, cause ``due_at``, as
the review scheduler records them; the moments of windows no rule reads are skipped, since
a review then finds nothing changed), then writes the moves, the final assignments and the
memberships in two statements. The schemes and segments are the versions active now; traits,
RFM scores and CLV predictions are read at their current values; nothing is sent.

A customer who already has history (any tier or segment history row) is left to the
caller's classification: nothing is added or rewritten before its last row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth import repository as workspace_store
from app.classification import pipeline
from app.classification.decision import decide
from app.classification.pipeline import Targets
from app.customers import repository as customer_store
from app.customers.service import CustomerView
from app.customers.timeline import Timeline
from app.metrics.aggregate import AMOUNT, Definition
from app.metrics.service import NewEvent
from app.segments import repository as segment_store
from app.segments.membership import MembershipChange
from app.tiers import repository as tier_store
from app.tiers.policy import Assignment, Change, Reason
from app.webhooks import outbox


@dataclass(slots=True)
class _Past:
    """One customer's reconstructed history and where it ends."""

    customer_id: str
    tier_rows: list[dict[str, Any]] = field(default_factory=list)
    segment_rows: list[dict[str, Any]] = field(default_factory=list)
    held: Mapping[str, Assignment] = field(default_factory=dict)
    members: dict[str, datetime] = field(default_factory=dict)
    last: CustomerView | None = None


async def reconstruct(
    conn: AsyncConnection,
    workspace_id: UUID,
    ids: Sequence[str],
    now: datetime,
    targets: Targets,
    definitions: list[Definition],
    *,
    notify: bool = False,
) -> list[str]:
    """Rebuilds the history of those of the customers ``ids`` without any (up to ``now``);
    returns them. With ``notify``, each gets the messages of its net change (from nothing
    to where its history ends, reason ``import``), as the caller's classification would
    have sent them."""
    if not ids or not targets:
        return []
    known = await tier_store.with_history(conn, workspace_id, list(ids))
    known |= await segment_store.with_history(conn, workspace_id, list(ids))
    fresh = sorted(set(ids) - known)
    if not fresh:
        return []
    rows = await customer_store.rows_of(conn, workspace_id, fresh)
    currency = await workspace_store.base_currency(conn, workspace_id)
    reads_properties = any(d.ready and d.prop != AMOUNT for d in definitions)
    stored = await customer_store.past_events(
        conn, workspace_id, fresh, properties=reads_properties
    )
    timelines = {
        cid: [_event(e) for e in events]
        for cid, events in groupby(stored, key=lambda e: e.customer_id)
    }
    pasts = [
        _replay(row, timelines.get(row.customer_id, []), targets, definitions, now, currency)
        for row in rows
    ]
    assignments = [
        {"customer_id": p.customer_id, **tier_store.assignment_row(key, a)}
        for p in pasts
        for key, a in p.held.items()
    ]
    members = [
        {"customer_id": p.customer_id, "segment_key": key, "since": since}
        for p in pasts
        for key, since in p.members.items()
    ]
    await tier_store.write_past(
        conn, workspace_id, assignments, [r for p in pasts for r in p.tier_rows]
    )
    await segment_store.write_past(
        conn, workspace_id, members, [r for p in pasts for r in p.segment_rows]
    )
    if notify:
        await _announce(conn, workspace_id, pasts, targets, now)
    return [p.customer_id for p in pasts]


def _event(row: Any) -> NewEvent:
    return NewEvent(
        row.customer_id, row.type, row.event_id, row.occurred_at, row.amount_base,
        row.properties or {},
    )  # fmt: skip


def _replay(
    row: Any,
    events: list[NewEvent],
    targets: Targets,
    definitions: list[Definition],
    now: datetime,
    currency: str,
) -> _Past:
    """Steps through one customer's events and the reviews between them (money in the
    workspace's ``currency``)."""
    past = _Past(row.customer_id)
    reads = frozenset().union(
        *(s.reads_metrics for s in targets.schemes), *(s.reads_metrics for s in targets.segments)
    )
    timeline = Timeline(row, definitions, reads, currency)
    schemes, segments = list(targets.schemes), targets.segments
    review: datetime | None = None

    def step(at: datetime, reason: Reason, cause: dict[str, str]) -> None:
        nonlocal review
        customer = timeline.view(at)
        decided = decide(schemes, segments, customer, past.held, past.members.keys(), at, reason)
        for change in decided.tiers.changes:
            past.tier_rows.append(_tier_row(past.customer_id, change, at, cause))
        for moved in decided.segment_changes:
            past.segment_rows.append(_segment_row(moved, at, reason, cause))
            if moved.change == "entered":
                past.members[moved.segment] = at
            else:
                del past.members[moved.segment]
        past.held = decided.tiers.assignments
        past.last = customer
        # A review decides as of its moment, so the next one is later; were it not, the
        # timeline would stop here rather than loop.
        review = decided.review if decided.review is None or decided.review > at else None

    for event in events:
        while review is not None and review <= event.occurred_at:
            step(review, "review", {"due_at": review.isoformat()})
        timeline.add(event)
        step(event.occurred_at, "event", {"event_id": event.event_id})
    while review is not None and review <= now:
        step(review, "review", {"due_at": review.isoformat()})
    return past


def _tier_row(
    customer_id: str, change: Change, at: datetime, cause: dict[str, str]
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "scheme_key": change.scheme,
        "version": change.version,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "changed_at": at,
        "reason": change.reason,
        "cause": cause,
    }


def _segment_row(
    moved: MembershipChange, at: datetime, reason: str, cause: dict[str, str]
) -> dict[str, Any]:
    return {
        "customer_id": moved.customer_id,
        "segment_key": moved.segment,
        "version": moved.version,
        "change": moved.change,
        "changed_at": at,
        "reason": reason,
        "cause": cause,
    }


async def _announce(
    conn: AsyncConnection, workspace_id: UUID, pasts: list[_Past], targets: Targets, now: datetime
) -> None:
    """The messages of each customer's net change, tiers in dependency order, then its
    segments, as the pipeline orders them."""
    routes = await outbox.routes(conn, workspace_id)
    if not routes:
        return
    messages = []
    for past in pasts:
        if past.last is None:
            continue
        for scheme in targets.schemes:
            held = past.held.get(scheme.key)
            if held is None:
                continue
            change = Change(scheme.key, scheme.version, None, held.tier, "import")
            metrics = {name: past.last.metrics.get(name) for name in sorted(scheme.reads_metrics)}
            messages.append(
                pipeline.tier_message(scheme, past.customer_id, change, metrics, routes, now)
            )
        for segment in targets.segments:
            if segment.key in past.members:
                entered = MembershipChange(
                    past.customer_id, segment.key, segment.version, "entered"
                )
                messages.append(pipeline.segment_message(entered, "import", routes, now))
    await outbox.enqueue_many(conn, workspace_id, messages, now)
