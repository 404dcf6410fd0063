"""Customer profiles: traits, metrics, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest, utc_day
from app.customers import repository
from app.customers.metrics import CLV_METRICS, RFM_METRICS, Totals, build_metrics, next_review_at
from app.db import Record
from app.errors import NotFound
from app.events import repository as event_log
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.pagination import InvalidCursor, decode_cursor
from app.webhooks import outbox


class CustomerNotFound(NotFound):
    pass


def totals_of(row: Record) -> Totals:
    return Totals(
        order_count=row.order_count,
        order_total=row.order_total,
        refund_total=row.refund_total,
        first_order_at=row.first_order_at,
        last_order_at=row.last_order_at,
        last_event_at=row.last_event_at,
        event_counts=dict(row.event_counts),
        rfm_scores={name: getattr(row, name) for name in RFM_METRICS},
        predictions={name: getattr(row, name) for name in CLV_METRICS},
    )


async def view(
    conn: AsyncConnection,
    workspace_id: UUID,
    row: Record,
    now: datetime,
    tiers: dict[str, dict[str, Any]],
    definitions: list[Definition] | None = None,
) -> dict[str, Any]:
    """The customer as the API shows it, every metric computed as of ``now``, with the
    given ``tiers`` (its stored assignments as ``app.tiers.policy.shown`` gives them: the
    caller reads them, since tiers sit above customers).

    ``next_review_at`` is the next midnight at which a built-in or user-defined windowed
    metric changes with no new event.
    """
    today = utc_day(now)
    if definitions is None:
        definitions = await user_metrics.definitions(conn, workspace_id)
    sums = await repository.window_sums(conn, workspace_id, row.customer_id, today)
    values, pending, user_review = await user_metrics.values(
        conn, workspace_id, definitions, row.customer_id, today
    )
    return {
        "customer_id": row.customer_id,
        "traits": row.traits,
        "metrics": {**values, **build_metrics(totals_of(row), sums, now)},
        "pending_metrics": pending,
        "tiers": tiers,
        "next_review_at": earliest(next_review_at(sums), user_review),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def row_of(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, *, lock: bool = False
) -> Record:
    row = await repository.get(conn, workspace_id, customer_id, lock=lock)
    if row is None:
        raise CustomerNotFound(f"No customer '{customer_id}' in this workspace.")
    return row


async def events_page(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, cursor: str | None, limit: int
) -> list[Record]:
    """A page of the customer's events, newest first (``limit + 1`` rows: see pagination)."""
    await row_of(conn, workspace_id, customer_id)
    before = None
    if cursor is not None:
        occurred_at, seq = decode_cursor(cursor, 2)
        try:
            before = (datetime.fromisoformat(occurred_at), int(seq))
        except (TypeError, ValueError) as error:
            raise InvalidCursor("The cursor is not one this service issued.") from error
    return await event_log.list_for_customer(conn, workspace_id, customer_id, before, limit)


async def replace_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
) -> Record:
    """Creates the customer or replaces its traits; returns the row, locked."""
    await repository.replace_traits(conn, workspace_id, customer_id, traits, now)
    return await row_of(conn, workspace_id, customer_id)


async def merge_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
) -> Record:
    """Creates the customer or merges into its traits; returns the row, locked."""
    await repository.merge_traits(conn, workspace_id, customer_id, traits, now)
    return await row_of(conn, workspace_id, customer_id)


async def erase(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime
) -> dict[str, int]:
    """Erases the customer, and its webhook messages with their attempts; subscribers to
    ``customer.deleted`` hear of it when there was a customer to erase."""
    erased = await repository.erase(conn, workspace_id, customer_id, now)
    erased["webhook_messages"] = await outbox.customer_deleted(
        conn, workspace_id, customer_id, now, notify=erased["customers"] > 0
    )
    return erased
