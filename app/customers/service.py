"""Customers: their rows, traits, and their metrics as of a moment (``view``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import earliest, utc_day
from app.customers import repository
from app.customers.metrics import (
    CLV_METRICS,
    RFM_METRICS,
    Totals,
    WindowSums,
    build_metrics,
    next_review_at,
)
from app.db import Record
from app.errors import InvalidInput, NotFound
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.validation import MAX_JSON_OBJECT_BYTES, json_size


class CustomerNotFound(NotFound):
    pass


def totals_of(row: Any) -> Totals:
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


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer as of a moment: traits, every metric, the metrics still being backfilled,
    and ``next_review_at``, the next midnight at which a built-in or user-defined windowed
    metric changes with no new event."""

    customer_id: str
    traits: Mapping[str, Any]
    metrics: Mapping[str, Any]
    pending_metrics: tuple[str, ...]
    next_review_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def facts(self, tiers: Mapping[str, str]) -> dict[str, Any]:
        """The customer as the condition language reads it, with its tier key per scheme."""
        return {
            "customer_id": self.customer_id,
            "traits": self.traits,
            "metrics": self.metrics,
            "created_at": self.created_at,
            "pending_metrics": self.pending_metrics,
            "tiers": dict(tiers),
        }

    def shown(self, tiers: Mapping[str, Any], next_review_at: datetime | None) -> dict[str, Any]:
        """As the API shows it, with its tiers as shown and the review moment of every rule."""
        return {
            "customer_id": self.customer_id,
            "traits": self.traits,
            "metrics": self.metrics,
            "pending_metrics": list(self.pending_metrics),
            "tiers": tiers,
            "next_review_at": next_review_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


async def view(
    conn: AsyncConnection,
    workspace_id: UUID,
    row: Record,
    now: datetime,
    currency: str,
    definitions: list[Definition] | None = None,
) -> CustomerView:
    """The customer of ``row`` with every metric computed as of ``now``, money shown in
    ``currency``, the workspace's base currency."""
    today = utc_day(now)
    if definitions is None:
        definitions = await user_metrics.definitions(conn, workspace_id)
    sums = await repository.window_sums(conn, workspace_id, row.customer_id, today)
    user = await user_metrics.values(
        conn, workspace_id, definitions, row.customer_id, today, currency
    )
    return view_of(row, sums, user, now, currency)


def view_of(
    row: Any,
    sums: WindowSums,
    user: tuple[Mapping[str, Any], list[str], datetime | None],
    now: datetime,
    currency: str,
) -> CustomerView:
    """The customer of ``row`` (columns read as attributes) as of ``now``, from its window
    sums and its user-defined metrics (values, names still pending, next moment one
    changes), money shown in ``currency``."""
    return view_with(row, totals_of(row), sums, user, now, currency)


def view_with(
    row: Any,
    totals: Totals,
    sums: WindowSums,
    user: tuple[Mapping[str, Any], list[str], datetime | None],
    now: datetime,
    currency: str,
) -> CustomerView:
    """As ``view_of``, with the lifetime totals given apart from the row (a customer's
    past: ``app.customers.timeline``)."""
    values, pending, user_review = user
    return CustomerView(
        customer_id=row.customer_id,
        traits=row.traits,
        metrics={**values, **build_metrics(totals, sums, now, currency)},
        pending_metrics=tuple(pending),
        next_review_at=earliest(next_review_at(sums), user_review),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def row_of(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, *, lock: bool = False
) -> Record:
    row = await repository.get(conn, workspace_id, customer_id, lock=lock)
    if row is None:
        raise CustomerNotFound(f"No customer '{customer_id}' in this workspace.")
    return row


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


def check_merged_traits(traits: Mapping[str, Any]) -> None:
    """Refuses (422) traits that merges grew past the 16 KiB one request may send."""
    size = json_size(traits)
    if size > MAX_JSON_OBJECT_BYTES:
        raise InvalidInput.at(
            "traits",
            f"merged with the stored traits, they would be {size} bytes as JSON; the limit "
            f"is {MAX_JSON_OBJECT_BYTES}: remove traits (set them to null) first",
            "too_large",
        )


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
