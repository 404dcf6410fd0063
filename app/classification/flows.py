"""Changes to one customer that are not events: traits set by hand, a tier pinned or
released, an erasure. Each makes its change, then hands the customer to the pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.classification import pipeline, profile
from app.customers import repository as customer_store
from app.customers import service as customers
from app.tiers import repository as tier_store
from app.tiers import service as tiers
from app.tiers.assignment_schemas import OverrideIn
from app.tiers.policy import shown
from app.webhooks import outbox


async def replace_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
    currency: str,
) -> dict[str, Any]:
    """Creates the customer or replaces its traits, and re-classifies it; returns the
    customer as the API shows it, money in ``currency`` (the base currency)."""
    await customers.replace_traits(conn, workspace_id, customer_id, traits, now)
    return await _traits_changed(conn, workspace_id, customer_id, now, currency)


async def merge_traits(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    traits: dict[str, Any],
    now: datetime,
    currency: str,
) -> dict[str, Any]:
    """Creates the customer or merges into its traits, and re-classifies it. Traits merged
    past the 16 KiB of one request are refused (422), the merge undone with the request."""
    row = await customers.merge_traits(conn, workspace_id, customer_id, traits, now)
    customers.check_merged_traits(row.traits)
    return await _traits_changed(conn, workspace_id, customer_id, now, currency)


async def _traits_changed(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime, currency: str
) -> dict[str, Any]:
    await pipeline.classify(conn, workspace_id, [customer_id], now, "traits_changed", {})
    return await profile.stored(conn, workspace_id, customer_id, now, currency)


async def set_override(
    conn: AsyncConnection,
    workspace_id: UUID,
    customer_id: str,
    key: str,
    body: OverrideIn,
    now: datetime,
) -> dict[str, Any]:
    """Pins the customer's tier in the scheme; the move is classified like any other
    (history reason ``override``, its webhook, the schemes and segments that read this
    tier). Returns the customer's tier in the scheme, as the profile shows it."""
    await customers.row_of(conn, workspace_id, customer_id, lock=True)
    await tiers.set_override(conn, workspace_id, customer_id, key, body, now)
    cause = {"override": body.reason}
    await pipeline.classify(conn, workspace_id, [customer_id], now, "override", cause)
    return await _shown_tier(conn, workspace_id, customer_id, key)


async def end_override(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str, now: datetime
) -> dict[str, Any]:
    """Ends the override now: the rules take over at once, without grace (history reason
    ``override_expired`` if the tier moves)."""
    await customers.row_of(conn, workspace_id, customer_id, lock=True)
    await tiers.end_override(conn, workspace_id, customer_id, key, now)
    await pipeline.classify(conn, workspace_id, [customer_id], now, "override", {})
    return await _shown_tier(conn, workspace_id, customer_id, key)


async def _shown_tier(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, key: str
) -> dict[str, Any]:
    return shown(await tier_store.assignments(conn, workspace_id, customer_id))[key]


async def erase(
    conn: AsyncConnection, workspace_id: UUID, customer_id: str, now: datetime
) -> dict[str, int]:
    """Erases the customer, and its webhook messages with their attempts; subscribers to
    ``customer.deleted`` hear of it when there was a customer to erase."""
    erased = await customer_store.erase(conn, workspace_id, customer_id, now)
    erased["webhook_messages"] = await outbox.customer_deleted(
        conn, workspace_id, customer_id, now, notify=erased["customers"] > 0
    )
    return erased
