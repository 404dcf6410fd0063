"""A customer as the API shows it: traits, metrics, tiers and the next review moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest
from app.customers.service import CustomerView, row_of, view
from app.metrics.aggregate import Definition
from app.segments import membership
from app.segments import repository as segment_store
from app.tiers import repository as tier_store
from app.tiers.policy import next_review, shown


async def describe(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime, currency: str
) -> dict[str, Any]:
    """The customer at ``now``, changing nothing, money in ``currency`` (the base
    currency); ``next_review_at`` includes the moments its rules' time comparisons flip and
    pending downgrades fall due."""
    row = await row_of(conn, workspace_id, customer_id)
    current = await tier_store.assignments(conn, workspace_id, customer_id)
    customer = await view(conn, workspace_id, row, now, currency)
    facts = customer.facts({key: a.tier for key, a in current.items()})
    schemes = await tier_store.active_schemes(conn, workspace_id)
    segments = await segment_store.active_segments(conn, workspace_id)
    review = earliest(
        customer.next_review_at,
        next_review(schemes, facts, current, now),
        membership.next_review(segments, facts, now),
    )
    return customer.shown(shown(current), review)


async def of(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer: CustomerView,
    next_review_at: datetime | None,
) -> dict[str, Any]:
    """The customer of ``customer`` (its metrics already computed) with its stored tiers and
    the review moment the pipeline stored."""
    current = await tier_store.assignments(conn, workspace_id, customer.customer_id)
    return customer.shown(shown(current), next_review_at)


async def stored(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    now: datetime,
    currency: str,
    definitions: list[Definition] | None = None,
) -> dict[str, Any]:
    """The customer just after the classification pipeline wrote it: its stored tiers and
    the review moment the pipeline stored, money in ``currency``."""
    row = await row_of(conn, workspace_id, customer_id)
    customer = await view(conn, workspace_id, row, now, currency, definitions)
    return await of(conn, workspace_id, customer, row.next_review_at)
