"""A normal-mode batch request (``POST /v1/events/batch``): one transaction, in waves.

The items are judged each alone, with the results an item would get sent one at a time, in
customer order (stable: a customer's events in the order sent). The i-th event of each
customer goes into wave i, and each wave is a flush (``app.events.flush``) in a savepoint of
the request's transaction, so a customer's events follow each other as they would alone.
Every customer of the batch is in the first wave, so the batch locks all its customers there,
in id order, as every writer does. Never mixed with the single events' flushes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.classification.config import ConfigCache, WorkspaceConfig
from app.db.engine import RawConnection
from app.events import flush
from app.events.parsed import given_event_id, invalid
from app.events.schemas import EventIn
from app.events.service import ItemResult, Rejected

_event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)


async def ingest_batch(
    raw: RawConnection,
    engine: AsyncEngine,
    configs: ConfigCache,
    config: WorkspaceConfig,
    key_hash: bytes,
    items: list[dict[str, Any]],
    now: datetime,
) -> list[ItemResult]:
    """Each item's result, in request order, once the batch's transaction has committed."""
    results: dict[int, ItemResult] = {}
    parsed: list[tuple[int, EventIn]] = []
    for index, item in enumerate(items):
        try:
            parsed.append((index, _event_adapter.validate_python(item)))
        except ValidationError as error:
            results[index] = Rejected(given_event_id(item), invalid(error))
    waves = _waves(parsed)
    for attempt in range(1, flush.TRANSIENT_ATTEMPTS + 1):
        try:
            results |= await _run(raw, engine, configs, config, key_hash, waves, now)
            break
        except Exception as error:
            if raw.is_in_transaction():
                await raw.execute("ROLLBACK")
            if not flush.transient(error) or attempt == flush.TRANSIENT_ATTEMPTS:
                raise
    return [results[index] for index in range(len(items))]


def _waves(parsed: list[tuple[int, EventIn]]) -> list[list[tuple[int, EventIn]]]:
    """Wave i holds the i-th event of each customer, in customer order; an id already in a
    wave (sent twice in the batch) moves its event to a later one, where it is a replay."""
    waves: list[list[tuple[int, EventIn]]] = []
    ids: list[set[str]] = []
    next_wave: dict[str, int] = {}
    for index, event in sorted(parsed, key=lambda item: item[1].customer_id):
        wave = next_wave.get(event.customer_id, 0)
        while wave < len(waves) and event.event_id in ids[wave]:
            wave += 1
        if wave == len(waves):
            waves.append([])
            ids.append(set())
        waves[wave].append((index, event))
        ids[wave].add(event.event_id)
        next_wave[event.customer_id] = wave + 1
    return waves


async def _run(
    raw: RawConnection,
    engine: AsyncEngine,
    configs: ConfigCache,
    config: WorkspaceConfig,
    key_hash: bytes,
    waves: list[list[tuple[int, EventIn]]],
    now: datetime,
) -> dict[int, ItemResult]:
    results: dict[int, ItemResult] = {}
    await raw.execute("BEGIN")
    for wave in waves:
        answers, config = await flush.write(
            raw,
            engine,
            configs,
            config,
            [flush.Submitted(event, key_hash) for _, event in wave],
            now,
            frame=flush.SAVEPOINT,
            describe=False,
        )
        for (index, event), answer in zip(wave, answers, strict=True):
            results[index] = (
                Rejected(event.event_id, answer) if isinstance(answer, Exception) else answer
            )
    await raw.execute("COMMIT")
    return results
