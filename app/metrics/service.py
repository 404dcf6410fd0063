"""User-defined metrics: definitions, their upkeep on every event, and their backfill."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.clock import utc_day, window_start
from app.db import Record
from app.errors import Conflict, NotFound, Unprocessable
from app.jobs import RECLASSIFY_JOB
from app.jobs import service as jobs
from app.metrics import repository
from app.metrics.aggregate import AMOUNT, Definition, Rollup, evaluate, fold, property_value
from app.pagination import decode_key

BACKFILL_JOB = "metric_backfill"
BACKFILL_CHUNK = 500
PROPERTY_PREFIX = "properties."


class MetricNotFound(NotFound):
    pass


class ReservedMetricName(Unprocessable):
    slug, title = "reserved-metric-name", "The name belongs to a built-in metric"


def check_name(name: str, builtins: Collection[str]) -> None:
    """``builtins``: the built-in metrics' names, which a definition may not take."""
    if name in builtins or name.endswith("_count"):
        raise ReservedMetricName(
            f"'{name}' is, or may become, a built-in metric name "
            "(built-ins include every '<event type>_count'); choose another.",
            errors=[
                {"field": "name", "message": "clashes with a built-in metric", "code": "reserved"}
            ],
        )
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise Unprocessable(
            "name: must be a lowercase identifier "
            "(a-z, 0-9 and _, starting with a letter, at most 63)",
            errors=[
                {"field": "name", "message": "must be a lowercase identifier", "code": "pattern"}
            ],
        )


async def put(
    conn: AsyncConnection,
    workspace_id: UUID,
    name: str,
    *,
    event_type: str,
    aggregation: str,
    property_path: str | None,
    window_days: int | None,
    now: datetime,
    builtins: Collection[str],
) -> tuple[Record, bool]:
    """Creates or replaces a definition (named apart from ``builtins``, the built-in
    metrics); a source not yet rolled up gets a backfill job."""
    check_name(name, builtins)
    prop = AMOUNT if property_path is None else property_path.removeprefix(PROPERTY_PREFIX)
    source = await repository.source(conn, workspace_id, event_type, prop)
    if source is None or (not source.ready and await _backfill_failed(conn, source)):
        job_id = await jobs.create(
            conn, workspace_id, BACKFILL_JOB, {"event_type": event_type, "property": prop}, now
        )
        await repository.save_source(conn, workspace_id, event_type, prop, job_id)
    definition = Definition(name, event_type, aggregation, prop, window_days, ready=False)
    created = await repository.upsert_definition(conn, workspace_id, definition, now)
    await repository.drop_unused_sources(conn, workspace_id)
    row = await repository.get_definition(conn, workspace_id, name)
    assert row is not None
    return row, created


async def _backfill_failed(conn: AsyncConnection, source: Record) -> bool:
    """A failed backfill is retried by saving a definition over its source again."""
    job = await jobs.get(conn, source.workspace_id, source.job_id)
    return bool(job.status == "failed")


async def get(conn: AsyncConnection, workspace_id: UUID, name: str) -> Record:
    row = await repository.get_definition(conn, workspace_id, name)
    if row is None:
        raise MetricNotFound(f"No metric '{name}' in this workspace.")
    return row


async def list_page(
    conn: AsyncConnection, workspace_id: UUID, cursor: str | None, limit: int
) -> list[Record]:
    after = decode_key(cursor, ".+")
    return await repository.definition_page(conn, workspace_id, after, limit)


class MetricInUse(Conflict):
    slug, title = "metric-in-use", "A scheme or segment reads this metric"


async def delete(
    conn: AsyncConnection,
    workspace_id: UUID,
    name: str,
    *,
    schemes: list[str],
    segments: list[str],
) -> None:
    """Deletes the metric unless ``schemes`` or ``segments`` (the keys of those reading it,
    read by the caller under the schemes' lock) is not empty."""
    if schemes or segments:
        readers = [f"scheme '{key}'" for key in schemes] + [f"segment '{key}'" for key in segments]
        raise MetricInUse(
            f"Metric '{name}' is read by {', '.join(readers)}; change them first.",
            schemes=schemes,
            segments=segments,
        )
    if not await repository.delete_definition(conn, workspace_id, name):
        raise MetricNotFound(f"No metric '{name}' in this workspace.")
    await repository.drop_unused_sources(conn, workspace_id)


async def definitions(conn: AsyncConnection, workspace_id: UUID) -> list[Definition]:
    """Read them after the customer's row lock: see ``backfill_chunk`` for why."""
    return await repository.definitions(conn, workspace_id)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What user-defined metrics need of a newly stored event."""

    customer_id: str
    event_type: str
    event_id: str
    occurred_at: datetime
    amount_base: Decimal | None
    properties: dict[str, Any]


def contribution(event: NewEvent, prop: str) -> Rollup:
    """What one event adds to a roll-up of its source's property (``""``: its amount)."""
    value = event.amount_base if prop == AMOUNT else property_value(event.properties, prop)
    if value is None:
        return Rollup(events=1)
    return Rollup(
        events=1,
        n=1,
        total=value,
        low=value,
        high=value,
        last_at=event.occurred_at,
        last_event_id=event.event_id,
        last_value=value,
    )


def _row(keys: dict[str, Any], rollup: Rollup) -> dict[str, Any]:
    return {
        **keys,
        "events": rollup.events,
        "n": rollup.n,
        "total": rollup.total,
        "low": rollup.low,
        "high": rollup.high,
        "last_at": None if rollup.last_at is None else rollup.last_at.isoformat(),
        "last_event_id": rollup.last_event_id,
        "last_value": rollup.last_value,
    }


@dataclass(frozen=True, slots=True)
class RollupRows:
    """New events' contributions, folded per source and day and per source, as the JSON
    rows the roll-up upserts take (``repository.bulk_rollup_upsert``)."""

    days: list[dict[str, Any]]
    totals: list[dict[str, Any]]


def rollup_rows(definitions: list[Definition], events: list[NewEvent]) -> RollupRows:
    """What ``events`` add to the roll-ups of the sources of ``definitions``."""
    props_by_type: dict[str, set[str]] = {}
    for definition in definitions:
        props_by_type.setdefault(definition.event_type, set()).add(definition.prop)
    days: dict[tuple[str, str, str, date], list[Rollup]] = {}
    totals: dict[tuple[str, str, str], list[Rollup]] = {}
    for event in events:
        for prop in props_by_type.get(event.event_type, ()):
            part = contribution(event, prop)
            source = (event.customer_id, event.event_type, prop)
            days.setdefault((*source, utc_day(event.occurred_at)), []).append(part)
            totals.setdefault(source, []).append(part)
    return RollupRows(
        [
            _row({"customer_id": c, "event_type": t, "property": p, "day": d}, fold(parts))
            for (c, t, p, d), parts in sorted(days.items())
        ],
        [
            _row({"customer_id": c, "event_type": t, "property": p}, fold(parts))
            for (c, t, p), parts in sorted(totals.items())
        ],
    )


async def add_events(
    conn: AsyncConnection,
    workspace_id: UUID,
    definitions: list[Definition],
    events: list[NewEvent],
) -> None:
    """Folds new events into the day and lifetime roll-ups of every source they feed, in two
    statements whatever their number."""
    rows = rollup_rows(definitions, events)
    if rows.totals:
        await repository.add_rollups(conn, workspace_id, rows.days, rows.totals)


async def window_reviews(
    conn: AsyncConnection,
    workspace_id: UUID,
    definitions: list[Definition],
    customer_ids: list[str],
    today: date,
) -> dict[str, datetime]:
    """For many customers at once: the next midnight a user-defined window changes (the
    same moments as ``values``), for those with one."""
    windows = [
        {
            "event_type": d.event_type,
            "property": d.prop,
            "window_days": d.window_days,
            "any_event": d.aggregation == "count",
        }
        for d in definitions
        if d.ready and d.window_days is not None
    ]
    if not windows or not customer_ids:
        return {}
    return await repository.window_reviews(conn, workspace_id, windows, customer_ids, today)


async def values(
    conn: AsyncConnection,
    workspace_id: UUID,
    definitions: list[Definition],
    customer_id: str,
    today: date,
    currency: str,
) -> tuple[dict[str, int | str | None], list[str], datetime | None]:
    """Every user-defined metric of one customer as of ``today`` (money in ``currency``, the
    base currency), in one query that folds at most each window's days, whatever the
    history."""
    reading = rollups_read(definitions, today)
    if reading is None:
        return evaluate(definitions, {}, {}, currency)
    windowed, lifetime = await repository.rollups(conn, workspace_id, customer_id, **reading)
    return evaluate(definitions, windowed, lifetime, currency)


def rollups_read(definitions: list[Definition], today: date) -> dict[str, Any] | None:
    """What ``repository.rollups`` (``READ_ROLLUPS_SQL``) reads of a customer for the ready
    definitions as of ``today``; None when none is ready."""
    ready = [d for d in definitions if d.ready]
    if not ready:
        return None
    return {
        "windows": [
            {
                "name": d.name,
                "event_type": d.event_type,
                "property": d.prop,
                "since": window_start(today, d.window_days),
            }
            for d in ready
            if d.window_days is not None
        ],
        "lifetime_sources": {d.source for d in ready if d.window_days is None},
    }


@jobs.handler(BACKFILL_JOB)
async def backfill_chunk(conn: AsyncConnection, job: Record, now: datetime) -> jobs.Progress:
    """Rebuilds one source's roll-ups for the next customers, under their row locks.

    The write path reads definitions only after it holds the customer's lock, so for every
    event either this rebuild sees it (it committed first) or the write path saw the
    definition and folded the event in itself: nothing is lost or counted twice.
    """
    event_type, prop = job.params["event_type"], job.params["property"]
    total = job.total
    if total is None:
        total = (
            await conn.execute(
                text("SELECT count(*) FROM customers WHERE workspace_id = :ws"),
                {"ws": job.workspace_id},
            )
        ).scalar_one()
    ids = list(
        (
            await conn.execute(
                text(
                    "SELECT customer_id FROM customers WHERE workspace_id = :ws "
                    "AND customer_id > :after ORDER BY customer_id LIMIT :n FOR UPDATE"
                ),
                {"ws": job.workspace_id, "after": job.cursor or "", "n": BACKFILL_CHUNK},
            )
        ).scalars()
    )
    if ids:
        await repository.recompute_source(conn, job.workspace_id, event_type, prop, ids)
    finished = len(ids) < BACKFILL_CHUNK
    if finished:
        await repository.mark_source_ready(conn, job.workspace_id, event_type, prop, job.id)
        # Rules that read these metrics waited for them; now they apply to everyone.
        names = [
            d.name
            for d in await definitions(conn, job.workspace_id)
            if d.source == (event_type, prop)
        ]
        await jobs.create(
            conn,
            job.workspace_id,
            RECLASSIFY_JOB,
            {"reason": "metric_ready", "metrics": names},
            now,
        )
    return jobs.Progress(
        cursor=ids[-1] if ids else job.cursor,
        done=job.done + len(ids),
        total=total,
        finished=finished,
    )
