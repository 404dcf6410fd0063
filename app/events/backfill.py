"""Backfill: many events at once, set-based, on the caller's transaction.

The import (``tierline import``) and the batch endpoint's ``"mode": "backfill"`` both land here.
Each item is judged as the normal path judges it (the same 422s and 409s, the same idempotency),
but a chunk costs a few statements, not a few per event (``app.events.staging``):

1. check each event's time and look up each currency's FX rate once;
2. copy the events into a staging table, insert them (``ON CONFLICT DO NOTHING``) and compare
   the fingerprints of those already stored, to tell duplicates from conflicts;
3. fold the created events into their customers: one upsert of the totals and traits, one of
   the daily roll-ups, one per roll-up table of the workspace's own metrics;
4. classify the customers, set-based: the batch at once (``backfill``); an import once per
   customer at its end (``store_for_later``, then ``classify_pending``), however many chunks
   touched the customer.

The result equals sending the events one by one, except for traits: the normal path merges them
in arrival order, a backfill in ``occurred_at`` order within the chunk (history arrives in any
order, and the newest value should win).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.principal import Workspace
from app.classification import pipeline
from app.classification.reconstruct import reconstruct
from app.currencies import minor_units
from app.customers.service import check_merged_traits
from app.db import statistics
from app.db.engine import RawConnection
from app.errors import TierlineError
from app.events import backfill_repository as bulk
from app.events import staged_copy, staging
from app.events.parsed import Parsed, given_event_id, invalid, parsed
from app.events.schemas import EventIn
from app.events.service import (
    MAX_CLOCK_SKEW,
    EventIdConflict,
    ItemResult,
    Outcome,
    Rejected,
    in_future,
)
from app.fx.service import rate_to_base
from app.metrics import service as user_metrics
from app.metrics.aggregate import Definition
from app.money import convert
from app.predictions import service as predictions
from app.validation import MAX_JSON_OBJECT_BYTES

_event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)

Turn = Callable[[], Awaitable[None]]
"""Waits until a chunk may write what the chunk before it in the file may write too."""


@dataclass(frozen=True, slots=True)
class Staged:
    """An event that passed every check but idempotency, ready to be stored."""

    position: int
    event: Parsed
    currency: str | None
    amount_base: Decimal | None
    fx_rate: Decimal | None


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
            results[index] = Rejected(given_event_id(raw), invalid(error))
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
) -> list[ItemResult]:
    """Stores the events and folds the new ones into their customers, then classifies those
    customers; one result per event.

    ``notify`` sends webhooks for each customer's net change over the batch (one message per
    scheme or segment it moved in, as of ``now``); off, the batch is silent.
    """
    results: dict[int, ItemResult] = {}
    created = await _store(conn, workspace, [parsed(event) for event in events], now, results)
    if created:
        customers = sorted({item.event.customer_id for item in created.items})
        await predictions.refresh_predictions(conn, workspace.id, customers, now)
        targets = await pipeline.everything(conn, workspace.id)
        await reconstruct(
            conn, workspace.id, customers, now, targets, created.definitions, notify=notify
        )
        await pipeline.classify(
            conn, workspace.id, customers, now, "import", {}, targets=targets,
            definitions=created.definitions, notify=notify,
        )  # fmt: skip
        await statistics.analyze_if_underestimated(conn, workspace.id, "events", len(created))
    return [results[position] for position in range(len(events))]


async def store_for_later(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[Parsed],
    now: datetime,
    *,
    notify: bool,
    turn: Turn | None = None,
) -> list[ItemResult]:
    """An import's chunk: stores the events and folds the new ones into their customers like
    ``backfill``, but leaves those customers pending (``classify_pending`` classifies each
    once, at the import's end). Its statements read the staging table and look rows up by
    their keys, so, unlike the classification's, their plans do not depend on the planner's
    statistics of the workspace: those are brought up to date once, before classifying.
    ``turn``: awaited once the chunk is staged, before it writes a row another chunk may
    write, so that chunks stored at once still apply in file order."""
    results: dict[int, ItemResult] = {}
    created = await _store(conn, workspace, events, now, results, turn)
    if created:
        await staging.mark_pending(created.raw, workspace.id, notify)
    return [results[position] for position in range(len(events))]


async def classify_pending(
    conn: AsyncConnection,
    workspace: Workspace,
    now: datetime,
    limit: int,
    classified_before: int,
    *,
    history: bool = True,
) -> int:
    """Classifies up to ``limit`` of the workspace's pending customers, with their CLV
    predictions, and clears them; how many it took (0: none is left). Unless ``history``
    is false, the history of those without any is rebuilt first (``reconstruct``); the
    others move once, with reason ``import``. ``classified_before``: customers the caller
    classified before, so the planner's statistics keep up with the tiers this writes (a
    lookup of one customer's tier was planned on an index of every customer's)."""
    pending = await bulk.pending_customers(conn, workspace.id, limit)
    if not pending:
        return 0
    # Planned for each chunk's own ids, as the reclassification job's: a generic plan guesses
    # ten ids per array.
    await conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    locked = await bulk.lock_customers(conn, workspace.id, list(pending))
    notify = await bulk.clear_pending(conn, workspace.id, list(pending))
    await predictions.refresh_predictions(conn, workspace.id, locked, now)
    definitions = await user_metrics.definitions(conn, workspace.id)
    targets = await pipeline.everything(conn, workspace.id)
    for loud in (False, True):
        ids = [c for c in locked if notify.get(c, False) is loud]
        if history:
            await reconstruct(conn, workspace.id, ids, now, targets, definitions, notify=loud)
        await pipeline.classify(
            conn, workspace.id, ids, now, "import", {}, targets=targets,
            definitions=definitions, notify=loud,
        )  # fmt: skip
    await statistics.analyze_if_underestimated(
        conn, workspace.id, "customer_tiers", classified_before + len(locked)
    )
    return len(pending)


async def _stage(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[Parsed],
    now: datetime,
    results: dict[int, ItemResult],
    refused: Mapping[int, TierlineError],
) -> list[Staged]:
    """Time bounds and FX conversion; a failing event is rejected alone, as is one of
    ``refused`` (by position) with its error."""
    in_time: list[tuple[int, Parsed]] = []
    latest = now + MAX_CLOCK_SKEW
    for position, event in enumerate(events):
        if position in refused:
            results[position] = Rejected(event.event_id, refused[position])
        elif event.occurred_at > latest:
            results[position] = Rejected(event.event_id, in_future())
        else:
            in_time.append((position, event))
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
            amount_base = (
                event.amount
                if rate == 1
                else convert(event.amount, rate, minor_units(workspace.base_currency))
            )
        staged.append(
            Staged(
                position=position,
                event=event,
                currency=currency,
                amount_base=amount_base,
                fx_rate=None if rate == 1 else rate,
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


@dataclass(frozen=True, slots=True)
class _Stored:
    """The events a chunk created, on the connection that staged them."""

    items: list[Staged]
    raw: RawConnection
    definitions: list[Definition]

    def __len__(self) -> int:
        return len(self.items)


async def _store(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[Parsed],
    now: datetime,
    results: dict[int, ItemResult],
    turn: Turn | None = None,
) -> _Stored:
    """Stores the first event of each id and folds the created ones into their customers;
    decides created / duplicate / 409 / 422 for all of them.

    As on the normal path, the first event with an id is stored and a later one with the same
    id is a duplicate when its content is the same, a 409 when not. A customer whose traits
    the chunk's events would merge past 16 KiB gets none of them: those events are refused
    (422 ``too_large``, as ``PATCH`` and ``POST /v1/events`` refuse them) and the chunk is
    stored again without them.
    """
    if not any(event.has_traits for event in events):
        return await _store_once(conn, workspace, events, now, results, {}, turn)
    refused: dict[int, TierlineError] = {}
    while True:
        attempt: dict[int, ItemResult] = {}
        savepoint = await conn.begin_nested()
        stored = await _store_once(conn, workspace, events, now, attempt, refused, turn)
        too_large = await _traits_too_large(conn, workspace, stored.items)
        if not too_large:
            await savepoint.commit()
            results.update(attempt)
            return stored
        await savepoint.rollback()
        refused |= too_large


async def _traits_too_large(
    conn: AsyncConnection, workspace: Workspace, created: list[Staged]
) -> dict[int, TierlineError]:
    """The created events that carry traits, by position, of the customers whose merged
    traits passed the limit, with the error to refuse them with."""
    with_traits = {item.event.customer_id for item in created if item.event.has_traits}
    found = await bulk.traits_over(conn, workspace.id, sorted(with_traits), MAX_JSON_OBJECT_BYTES)
    errors: dict[str, TierlineError] = {}
    for customer_id, traits in found.items():
        try:
            check_merged_traits(traits)
        except TierlineError as error:
            errors[customer_id] = error
    return {
        item.position: errors[item.event.customer_id]
        for item in created
        if item.event.has_traits and item.event.customer_id in errors
    }


async def _store_once(
    conn: AsyncConnection,
    workspace: Workspace,
    events: list[Parsed],
    now: datetime,
    results: dict[int, ItemResult],
    refused: Mapping[int, TierlineError],
    turn: Turn | None,
) -> _Stored:
    raw = await staging.open_staging(conn)
    staged = await _stage(conn, workspace, events, now, results, refused)
    first: dict[str, Staged] = {}
    for item in staged:
        first.setdefault(item.event.event_id, item)
    currencies: dict[str | None, bytes] = {}
    await staging.load_encoded(raw, [_staged_row(item, currencies) for item in first.values()])
    if turn is not None:
        await turn()
    inserted = await staging.insert_events(raw, workspace.id, now)
    stored = {}
    if len(inserted) < len(first):  # a first import stores every id: nothing to ask
        stored = await staging.stored_fingerprints(raw, workspace.id)
    created: list[Staged] = []
    for item in staged:
        event_id = item.event.event_id
        kept_by = first[event_id]
        if kept_by is item and item.position in inserted:
            results[item.position] = Outcome("created", event_id, None)
            created.append(item)
            continue
        # A stored id that is gone again was erased meanwhile: the event was acknowledged.
        if kept_by.position in inserted:
            kept: bytes | None = kept_by.event.fingerprint
        else:
            kept = stored.get(kept_by.position)
        if kept is None or item.event.fingerprint == kept:
            results[item.position] = Outcome("duplicate", event_id, None)
        else:
            conflict = EventIdConflict(
                f"Event '{event_id}' is already stored with a different body; "
                "use a new event_id for a new event.",
                event_id=event_id,
            )
            results[item.position] = Rejected(event_id, conflict)
    if not created:
        return _Stored(created, raw, [])
    removes_traits = any(item.event.removes_traits for item in created)
    await staging.fold_into_customers(raw, workspace.id, now, removes_traits=removes_traits)
    # Under the customers' locks, as on the normal path (app.metrics.service.backfill_chunk).
    definitions = await user_metrics.definitions(conn, workspace.id)
    await add_user_metric_rollups(conn, workspace, definitions, created)
    return _Stored(created, raw, definitions)


def _staged_row(item: Staged, currencies: dict[str | None, bytes]) -> bytes:
    event = item.event
    if item.currency not in currencies:
        currencies[item.currency] = staged_copy.text(item.currency)
    if item.fx_rate is None:
        amount_base, fx_rate = event.copied_amount, staged_copy.NULL
    else:
        amount_base = staged_copy.numeric(item.amount_base)
        fx_rate = staged_copy.numeric(item.fx_rate)
    return staged_copy.row(
        event.copied, item.position, currencies[item.currency], amount_base, fx_rate
    )


async def add_user_metric_rollups(
    conn: AsyncConnection,
    workspace: Workspace,
    definitions: list[Definition],
    created: list[Staged],
) -> None:
    """The sources of the workspace's own metrics, in one upsert per roll-up table."""
    if not definitions:
        return
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
                properties=json.loads(item.event.properties),
            )
            for item in created
        ],
    )
