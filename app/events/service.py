"""The write path: one event, one transaction (owned by the caller).

Insert the event (its id is the idempotency key), fold it into the customer's lifetime totals
under the customer's row lock, add it to the day's roll-up, and recompute the windowed metrics
from at most a year of roll-ups, so the cost does not grow with the customer's history; then
hand the customer to the classification pipeline (``app.classification.pipeline``).
Every step is commutative, so events arriving out of order give the same result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.principal import Workspace
from app.classification import pipeline, profile
from app.clock import utc_day
from app.customers import repository as customers
from app.customers.service import row_of, view
from app.db import Record
from app.errors import Conflict, InvalidInput, TierlineError, field_errors
from app.events import repository as events
from app.events.schemas import EventIn
from app.fx.service import rate_to_base
from app.metrics import service as user_metrics
from app.money import convert
from app.pagination import InvalidCursor, decode_cursor
from app.predictions.service import refresh_predictions
from app.tiers.policy import Change

MAX_CLOCK_SKEW = timedelta(minutes=5)
ZERO = Decimal(0)

_event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)


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
    ``event_id`` is None when the item has no string ``event_id``."""

    event_id: str | None
    error: TierlineError


ItemResult = Outcome | Rejected
"""One batch item's result; the router and the importer turn it into JSON."""


def fingerprint(event: EventIn) -> bytes:
    """Identity of an event's content: equal for a faithful replay, whatever the formatting."""
    canonical = {
        "customer_id": event.customer_id,
        "type": event.type,
        "occurred_at": event.occurred_at.timestamp(),
        "amount": None if event.amount is None else f"{event.amount.normalize():f}",
        "currency": event.currency,
        "properties": event.properties,
        "traits": event.traits,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).digest()


def invalid(error: ValidationError) -> InvalidInput:
    """The error a batch item that fails validation is rejected with: the 422 a request
    with that body gets."""
    return InvalidInput(field_errors(error.errors()))


def check_time(event: EventIn, now: datetime) -> None:
    if event.occurred_at > now + MAX_CLOCK_SKEW:
        raise InvalidInput.at(
            "occurred_at", "must not be more than 5 minutes in the future", "in_future"
        )


def customer_values(
    workspace_id: UUID, event: EventIn, amount_base: Decimal | None, now: datetime
) -> dict[str, Any]:
    """What the event adds to its customer's totals and day, as the customer statements take
    it (``customers.repository.event_values``)."""
    amount = ZERO if amount_base is None else amount_base
    return customers.event_values(
        workspace_id,
        event.customer_id,
        event_type=event.type,
        occurred_at=event.occurred_at,
        order_amount=amount if event.type == "order" else ZERO,
        refund_amount=amount if event.type == "refund" else ZERO,
        traits=event.traits,
        now=now,
    )


async def ingest(
    conn: AsyncConnection,
    workspace: Workspace,
    event: EventIn,
    now: datetime,
    *,
    describe_customer: bool = True,
) -> Outcome:
    check_time(event, now)
    amount_base = rate = None
    currency = event.currency
    if event.amount is not None:
        currency = currency or workspace.base_currency
        rate = await rate_to_base(conn, workspace.id, workspace.base_currency, currency)
        amount_base = event.amount if rate == 1 else convert(event.amount, rate)

    digest = fingerprint(event)
    inserted = await events.insert(
        conn,
        workspace.id,
        event_id=event.event_id,
        customer_id=event.customer_id,
        event_type=event.type,
        occurred_at=event.occurred_at,
        amount=event.amount,
        currency=currency,
        amount_base=amount_base,
        fx_rate=None if rate == 1 else rate,
        properties=event.properties,
        fingerprint=digest,
        received_at=now,
    )
    if not inserted:
        return await replayed(conn, workspace.id, event, digest, now, describe_customer)

    values = customer_values(workspace.id, event, amount_base, now)
    row = await customers.upsert_for_event(conn, values)
    if event.type in ("order", "refund"):
        await customers.add_to_day(conn, values, utc_day(event.occurred_at))
        # The customer's purchase days changed: so do its CLV predictions.
        predicted = await refresh_predictions(conn, workspace.id, [event.customer_id], now)
        row = predicted[0] if predicted else row
    # Only now, under the customer's row lock: a metric defined meanwhile is either seen here
    # or its backfill sees this event (app.metrics.service.backfill_chunk).
    definitions = await user_metrics.definitions(conn, workspace.id)
    await user_metrics.add_events(
        conn,
        workspace.id,
        definitions,
        [
            user_metrics.NewEvent(
                customer_id=event.customer_id,
                event_type=event.type,
                event_id=event.event_id,
                occurred_at=event.occurred_at,
                amount_base=amount_base,
                properties=event.properties,
            )
        ],
    )
    # The customer's metrics are final now; the profile and the pipeline share them.
    facts = await view(conn, workspace.id, row, now, definitions)
    outcome = await pipeline.classify(
        conn,
        workspace.id,
        [event.customer_id],
        now,
        "event",
        {"event_id": event.event_id},
        definitions=definitions,
        metric_reviews={event.customer_id: facts.next_review_at},
        stored_reviews={event.customer_id: row.next_review_at},
    )
    customer = None
    if describe_customer:
        review = outcome.reviews[event.customer_id]
        customer = await profile.of(conn, workspace.id, facts, review)
    changes = outcome.tier_changes.get(event.customer_id, [])
    return Outcome("created", event.event_id, customer, changes)


async def replayed(
    conn: AsyncConnection,
    workspace_id: UUID,
    event: EventIn,
    digest: bytes,
    now: datetime,
    describe_customer: bool,
) -> Outcome:
    """The answer to an event whose id is already stored: a faithful replay changes nothing
    (and shows the customer as it is), another body under that id is a conflict."""
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
            known = await view(conn, workspace_id, row, now)
            customer = await profile.of(conn, workspace_id, known, row.next_review_at)
    return Outcome("duplicate", event.event_id, customer)


async def ingest_batch(
    conn: AsyncConnection, workspace: Workspace, items: list[dict[str, Any]], now: datetime
) -> list[ItemResult]:
    """Each item is judged alone; results come back in request order.

    Items are processed grouped by customer so that concurrent batches lock customers in
    the same order and cannot deadlock each other.
    """
    results: dict[int, ItemResult] = {}
    parsed: list[tuple[int, EventIn]] = []
    for index, raw in enumerate(items):
        raw_id = raw.get("event_id")
        event_id = raw_id if isinstance(raw_id, str) else None
        try:
            parsed.append((index, _event_adapter.validate_python(raw)))
        except ValidationError as error:
            results[index] = Rejected(event_id, invalid(error))

    for index, event in sorted(parsed, key=lambda item: item[1].customer_id):
        try:
            results[index] = await ingest(conn, workspace, event, now, describe_customer=False)
        except TierlineError as error:
            results[index] = Rejected(event.event_id, error)
    return [results[index] for index in range(len(items))]


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
    return await events.list_for_customer(conn, workspace_id, customer_id, before, limit)
