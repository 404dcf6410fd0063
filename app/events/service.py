"""What every way in of an event shares (with ``app.events.parsed``: its fingerprint, the
identity of a replay, and its validation error): the time check, the answer to a replay, and
the outcome and rejection types. The writes themselves are set-based: ``app.events.flush``
(single events and normal batches) and ``app.events.backfill`` (backfill batches and imports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from app.classification import profile
from app.customers import repository as customers
from app.customers.service import row_of, view
from app.db import Record
from app.errors import Conflict, InvalidInput, TierlineError
from app.events import repository as events
from app.events.schemas import EventIn
from app.pagination import MAX_SEQ, InvalidCursor, decode_cursor
from app.tiers.policy import Change

MAX_CLOCK_SKEW = timedelta(minutes=5)


class EventIdConflict(Conflict):
    slug, title = "event-id-conflict", "Event id already used with a different body"


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Literal["created", "duplicate"]
    event_id: str
    customer: dict[str, Any] | None
    tier_changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A batch item refused alone: the error it would have been refused with on its own.
    ``event_id`` is None when the item has no string ``event_id`` (or one that is not valid
    Unicode)."""

    event_id: str | None
    error: TierlineError


ItemResult = Outcome | Rejected
"""One batch item's result; the router and the importer turn it into JSON."""


def check_time(event: EventIn, now: datetime) -> None:
    if event.occurred_at > now + MAX_CLOCK_SKEW:
        raise in_future()


def in_future() -> InvalidInput:
    """The error of an event that happens more than ``MAX_CLOCK_SKEW`` after now."""
    return InvalidInput.at(
        "occurred_at", "must not be more than 5 minutes in the future", "in_future"
    )


async def replayed(
    conn: AsyncConnection,
    workspace_id: UUID,
    event: EventIn,
    digest: bytes,
    now: datetime,
    describe_customer: bool,
    currency: str,
) -> Outcome:
    """The answer to an event whose id is already stored: a faithful replay changes nothing
    (and shows the customer as it is, money in ``currency``, the base currency), another
    body under that id is a conflict."""
    stored = await events.stored_fingerprint(conn, workspace_id, event.event_id)
    if stored is not None and stored != digest:
        raise EventIdConflict(
            f"Event '{event.event_id}' is already stored with a different body; "
            "use a new event_id for a new event.",
            event_id=event.event_id,
        )
    customer = None
    if describe_customer:
        row = await customers.get(conn, workspace_id, event.customer_id)
        if row is not None:
            known = await view(conn, workspace_id, row, now, currency)
            customer = await profile.of(conn, workspace_id, known, row.next_review_at)
    return Outcome("duplicate", event.event_id, customer)


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
        # An edited cursor must not reach PostgreSQL as a number bigint cannot hold, or as a
        # time without a zone.
        if before[0].tzinfo is None or not 0 <= before[1] <= MAX_SEQ:
            raise InvalidCursor("The cursor is not one this service issued.")
    return await events.list_for_customer(conn, workspace_id, customer_id, before, limit)
