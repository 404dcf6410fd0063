"""Backfill: many events at once, set-based, on the caller's transaction.

The import (``tierline import``) and the batch endpoint's ``"mode": "backfill"`` both land here.
Each item is judged as the normal path judges it (the same 422s and 409s, the same idempotency),
but a chunk costs a few statements, not a few per event:

1. check each event's time and look up each currency's FX rate once;
2. insert the events (``ON CONFLICT DO NOTHING``) and compare the fingerprints of those already
   stored, to tell duplicates from conflicts;
3. fold the created events into their customers: one upsert of the totals, one of the daily
   roll-ups, one recomputation of ``next_review_at`` as of ``now``.

The result equals sending the events one by one, except for traits: the normal path merges them
in arrival order, a backfill in ``occurred_at`` order within the chunk (history arrives in any
order, and the newest value should win).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.principal import Workspace
from app.classification import pipeline
from app.clock import utc_day
from app.db import statistics
from app.errors import TierlineError
from app.events import backfill_repository as bulk
from app.events.schemas import EventIn
from app.events.service import (
    EventIdConflict,
    ItemResult,
    Outcome,
    Rejected,
    check_time,
    fingerprint,
    invalid,
)
from app.fx.service import rate_to_base
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.money import convert
from app.predictions import service as predictions

ZERO = Decimal(0)

_event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)


@dataclass(frozen=True, slots=True)
class Staged:
    """An event that passed every check but idempotency, ready to be stored."""

    position: int
    event: EventIn
    currency: str | None
    amount_base: Decimal | None
    fx_rate: Decimal | None
    fingerprint: bytes

    @property
    def order_amount(self) -> Decimal:
        if self.event.type == "order" and self.amount_base is not None:
            return self.amount_base
        return ZERO

    @property
    def refund_amount(self) -> Decimal:
        if self.event.type == "refund" and self.amount_base is not None:
            return self.amount_base
        return ZERO


async def backfill_batch(
    conn: AsyncConnection,
    workspace: Workspace,
    items: list[dict[str, Any]],
    now: datetime,
    *,
    notify: bool = False,
) -> list[ItemResult]:
    """The batch endpoint's backfill mode: validate each item, backfill the valid ones."""
    results: dict[int, ItemResult] = {}
    valid: list[EventIn] = []
    positions: list[int] = []
    for index, raw in enumerate(items):
        try:
            valid.append(_event_adapter.validate_python(raw))
            positions.append(index)
        except ValidationError as error:
            raw_id = raw.get("event_id")
            results[index] = Rejected(raw_id if isinstance(raw_id, str) else None, invalid(error))
    for index, result in zip(
        positions, await backfill(conn, workspace, valid, now, notify=notify), strict=True
    ):
        results[index] = result
    return [results[index] for index in range(len(items))]


async def backfill(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[EventIn],
    now: datetime,
    *,
    notify: bool = False,
    created_before: int = 0,
) -> list[ItemResult]:
    """Stores the events and folds the new ones into their customers; one result per event.

    ``notify`` sends webhooks for each customer's net change over the batch (one message per
    scheme or segment it moved in, as of ``now``); off, the batch is silent.
    ``created_before``: events the caller created in this workspace before this batch (an
    import's earlier chunks), so the planner's statistics keep up as the workspace grows.
    """
    results: dict[int, ItemResult] = {}
    staged = await _stage(conn, workspace, events, now, results)
    created = await _store(conn, workspace, staged, now, results)
    if created:
        await apply_to_customers(conn, workspace, created, now, notify=notify)
        # Last: the next chunk's statements read every table this one wrote.
        await statistics.analyze_if_underestimated(
            conn, workspace.id, "events", created_before + len(created)
        )
    return [results[position] for position in range(len(events))]


async def _stage(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[EventIn],
    now: datetime,
    results: dict[int, ItemResult],
) -> list[Staged]:
    """Time bounds and FX conversion; a failing event is rejected alone."""
    in_time: list[tuple[int, EventIn]] = []
    for position, event in enumerate(events):
        try:
            check_time(event, now)
            in_time.append((position, event))
        except TierlineError as error:
            results[position] = Rejected(event.event_id, error)
    rates: dict[str, Decimal | TierlineError] = {}
    staged: list[Staged] = []
    for position, event in in_time:
        currency, amount_base, rate = event.currency, None, None
        if event.amount is not None:
            currency = currency or workspace.base_currency
            if currency not in rates:
                rates[currency] = await _rate(conn, workspace, currency)
            found = rates[currency]
            if isinstance(found, TierlineError):
                results[position] = Rejected(event.event_id, found)
                continue
            rate = found
            amount_base = event.amount if rate == 1 else convert(event.amount, rate)
        staged.append(
            Staged(
                position=position,
                event=event,
                currency=currency,
                amount_base=amount_base,
                fx_rate=None if rate == 1 else rate,
                fingerprint=fingerprint(event),
            )
        )
    return staged


async def _rate(
    conn: AsyncConnection, workspace: Workspace, currency: str
) -> Decimal | TierlineError:
    try:
        return await rate_to_base(conn, workspace.id, workspace.base_currency, currency)
    except TierlineError as error:
        return error


async def _store(
    conn: AsyncConnection,
    workspace: Workspace,
    staged: list[Staged],
    now: datetime,
    results: dict[int, ItemResult],
) -> list[Staged]:
    """Inserts the first event of each id; decides created / duplicate / 409 for all of them.

    As on the normal path, the first event with an id is stored and a later one with the same
    id is a duplicate when its content is the same, a 409 when not. Rows go in ``event_id``
    order, so concurrent backfills of overlapping ids wait for each other in one order.
    """
    first: dict[str, Staged] = {}
    for item in staged:
        first.setdefault(item.event.event_id, item)
    to_insert = sorted(first.values(), key=lambda item: item.event.event_id)
    inserted = await bulk.insert_events(conn, workspace.id, [_event_row(i) for i in to_insert], now)
    stored = await bulk.stored_fingerprints(
        conn, workspace.id, [event_id for event_id in first if event_id not in inserted]
    )
    created: list[Staged] = []
    for item in staged:
        event_id = item.event.event_id
        if event_id in inserted and first[event_id] is item:
            results[item.position] = Outcome("created", event_id, None)
            created.append(item)
            continue
        # A stored id that is gone again was erased meanwhile: the event was acknowledged.
        kept = first[event_id].fingerprint if event_id in inserted else stored.get(event_id)
        if kept is None or item.fingerprint == kept:
            results[item.position] = Outcome("duplicate", event_id, None)
        else:
            conflict = EventIdConflict(
                f"Event '{event_id}' is already stored with a different body; "
                "use a new event_id for a new event.",
                event_id=event_id,
            )
            results[item.position] = Rejected(event_id, conflict)
    return created


def _event_row(item: Staged) -> dict[str, Any]:
    event = item.event
    return {
        "event_id": event.event_id,
        "customer_id": event.customer_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "amount": event.amount,
        "currency": item.currency,
        "amount_base": item.amount_base,
        "fx_rate": item.fx_rate,
        "properties": event.properties,
        "fingerprint": "\\x" + item.fingerprint.hex(),
    }


async def apply_to_customers(
    conn: AsyncConnection,
    workspace: Workspace,
    created: list[Staged],
    now: datetime,
    *,
    notify: bool = False,
) -> None:
    """Every customer-side effect of the newly stored events, one statement per step.

    Each step is a separate function taking the created events, so further roll-ups (user
    metrics, tiers) slot in as further steps. ``fold_totals`` must stay first: it takes the
    customers' row locks, in id order, before anything else touches their rows.
    """
    await fold_totals(conn, workspace, created, now)
    await add_daily_rollups(conn, workspace, created)
    await refresh_predictions(conn, workspace, created, now)
    # Under the customers' locks, as on the normal path (app.metrics.service.backfill_chunk).
    definitions = await user_metrics.definitions(conn, workspace.id)
    await add_user_metric_rollups(conn, workspace, definitions, created)
    await classify(conn, workspace, definitions, created, now, notify=notify)


@dataclass(slots=True)
class _CustomerChange:
    orders: int = 0
    order_total: Decimal = ZERO
    refund_total: Decimal = ZERO
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    last_event_at: datetime | None = None
    event_counts: dict[str, int] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    """The net trait patch: the last value each name was given, ``None`` to remove it."""


def _by_customer(created: Iterable[Staged]) -> dict[str, _CustomerChange]:
    changes: dict[str, _CustomerChange] = {}
    in_time_order = sorted(created, key=lambda item: (item.event.occurred_at, item.position))
    for item in in_time_order:
        event = item.event
        change = changes.setdefault(event.customer_id, _CustomerChange())
        at = event.occurred_at
        if event.type == "order":
            change.orders += 1
            change.first_order_at = change.first_order_at or at
            change.last_order_at = at
        change.order_total += item.order_amount
        change.refund_total += item.refund_amount
        change.last_event_at = at
        change.event_counts[event.type] = change.event_counts.get(event.type, 0) + 1
        if event.traits:
            change.traits.update(event.traits)
    return changes


async def refresh_predictions(
    conn: AsyncConnection, workspace: Workspace, created: list[Staged], now: datetime
) -> None:
    """The CLV predictions of the customers whose purchase days changed."""
    buyers = {i.event.customer_id for i in created if i.event.type in ("order", "refund")}
    await predictions.refresh_predictions(conn, workspace.id, sorted(buyers), now)


async def fold_totals(
    conn: AsyncConnection, workspace: Workspace, created: list[Staged], now: datetime
) -> None:
    """Lifetime totals, event counts and traits of the customers, in one upsert."""
    changes = sorted(_by_customer(created).items())
    await bulk.fold_customers(
        conn,
        workspace.id,
        [
            {
                "customer_id": customer_id,
                "traits": {k: v for k, v in change.traits.items() if v is not None},
                "order_count": change.orders,
                "order_total": change.order_total,
                "refund_total": change.refund_total,
                "first_order_at": change.first_order_at,
                "last_order_at": change.last_order_at,
                "last_event_at": change.last_event_at,
                "event_counts": change.event_counts,
            }
            for customer_id, change in changes
        ],
        now,
    )
    removals = [
        {"customer_id": customer_id, "keys": [k for k, v in change.traits.items() if v is None]}
        for customer_id, change in changes
        if None in change.traits.values()
    ]
    if removals:
        await bulk.remove_traits(conn, workspace.id, removals)


async def add_daily_rollups(
    conn: AsyncConnection, workspace: Workspace, created: list[Staged]
) -> None:
    """Orders and order / refund amounts per customer and UTC day, in one upsert."""
    days: dict[tuple[str, date], list[Any]] = {}
    for item in created:
        if item.event.type not in ("order", "refund"):
            continue
        key = (item.event.customer_id, utc_day(item.event.occurred_at))
        day = days.setdefault(key, [0, ZERO, ZERO])
        day[0] += 1 if item.event.type == "order" else 0
        day[1] += item.order_amount
        day[2] += item.refund_amount
    if not days:
        return
    await bulk.add_days(
        conn,
        workspace.id,
        [
            {
                "customer_id": customer_id,
                "day": day,
                "orders": sums[0],
                "order_amount": sums[1],
                "refund_amount": sums[2],
            }
            for (customer_id, day), sums in sorted(days.items())
        ],
    )


async def add_user_metric_rollups(
    conn: AsyncConnection,
    workspace: Workspace,
    definitions: list[Definition],
    created: list[Staged],
) -> None:
    """The sources of the workspace's own metrics, in one upsert per roll-up table."""
    await user_metrics.add_events(
        conn,
        workspace.id,
        definitions,
        [
            user_metrics.NewEvent(
                customer_id=item.event.customer_id,
                event_type=item.event.type,
                event_id=item.event.event_id,
                occurred_at=item.event.occurred_at,
                amount_base=item.amount_base,
                properties=item.event.properties,
            )
            for item in created
        ],
    )


async def classify(
    conn: AsyncConnection,
    workspace: Workspace,
    definitions: list[Definition],
    created: list[Staged],
    now: datetime,
    *,
    notify: bool,
) -> None:
    """Every customer an event was created for, in every scheme and segment, set-based, with
    reason ``import``: the tiers and memberships as of ``now``, one history row per change,
    and with ``notify`` its webhook message. Without, subscribers hear about today's changes,
    not a flood from the past."""
    await pipeline.classify(
        conn,
        workspace.id,
        sorted({item.event.customer_id for item in created}),
        now,
        "import",
        {},
        definitions=definitions,
        notify=notify,
    )
