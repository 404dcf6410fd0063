"""``tierline import``: a file of events into a workspace, one transaction per chunk.

Each chunk goes through ``app.events.backfill``, the path of the batch endpoint's backfill
mode, and commits on its own: its events stored and folded into their customers' totals and
roll-ups, the customers recorded as pending. An interrupted import keeps the chunks it
committed, and running it again counts their rows as duplicates, so it resumes where it
stopped. A process of its own reads, validates and encodes the file
(``app.events.import_reader``) while this one feeds the database.

Classification waits for the end: each pending customer is classified once, in chunks of
``CLASSIFY_CHUNK``, however many chunks touched it, its tier and segment history rebuilt from
its events first (``app.classification.reconstruct``; with ``--notify``, its net change over
the whole import is sent). A re-run finishes the pending customers an interrupted one left.

Chunks are short transactions that lock customers in id order, so the import runs while the
server writes to the same database; a chunk that loses a deadlock or serialization conflict
anyway is retried.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tqdm import tqdm

from app.auth import service as auth_service
from app.auth.principal import Workspace
from app.clock import Clock
from app.db import statistics
from app.db.engine import UNBOUNDED, Timeouts, create_engine
from app.db.errors import is_transient
from app.errors import TierlineError
from app.events.backfill import Turn, classify_pending, store_for_later
from app.events.import_file import EventFile, ImportFileError
from app.events.import_reader import (
    CHUNK_SIZE,
    ReadChunk,
    Reader,
    ReaderStopped,
    ReadRow,
    rare_collections,
)
from app.events.parsed import Parsed
from app.events.service import ItemResult, Rejected

CLASSIFY_CHUNK = 5000
STORES_IN_FLIGHT = 2
"""Chunks stored at once, each on its connection: the database stores one while this process
copies the next, so that neither waits for the other."""
RETRIES = 5

_T = TypeVar("_T")

Describe = Callable[[TierlineError], dict[str, Any]]
"""Turns a rejected row's error into the problem+json body its report records."""


class ImportFailed(Exception):
    """The import could not run, or could not go on; the chunks committed before stay."""

    def __init__(self, message: str, summary: Summary | None = None) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(slots=True)
class Summary:
    rows: int = 0
    created: int = 0
    duplicate: int = 0
    rejected: int = 0
    classified: int = 0
    """Customers classified at the end (those of this import and of an interrupted one)."""
    seconds: float = 0.0
    rejected_path: Path | None = None
    """Where the rejected rows are, when there are any."""

    def describe(self) -> str:
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.created:,} created, {self.duplicate:,} duplicate, {self.rejected:,} rejected "
            f"({self.rows:,} rows in {self.seconds:.1f} s, {rate:,.0f} rows/s); "
            f"{self.classified:,} customers classified"
        )

    def count(self, status: str) -> None:
        if status == "created":
            self.created += 1
        elif status == "duplicate":
            self.duplicate += 1
        else:
            self.rejected += 1


def rejected_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.ndjson")


@dataclass(slots=True)
class RejectedRows:
    """``<input>.rejected.ndjson``: per rejected row, its line, the row and the problem."""

    path: Path
    describe: Describe
    _file: IO[str] | None = field(default=None)

    def start(self) -> None:
        """Removes the report of an earlier run: its rows are judged again."""
        self.path.unlink(missing_ok=True)

    def add(self, row: ReadRow, problem: dict[str, Any]) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        record = {"line": row.line, "row": row.shown(), "problem": problem}
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Progress:
    """A progress bar on stderr: bytes of the file (so an ETA when its size is known), rows."""

    def __init__(self, source: EventFile, show: bool | None) -> None:
        self._source = source
        self._bar = tqdm(
            total=source.size,
            desc=f"import {source.path.name}",
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            disable=show is False or (show is None and not sys.stderr.isatty()),
            mininterval=0.5,
            dynamic_ncols=True,
        )
        self._started = time.monotonic()

    def update(self, rows: int, position: int) -> None:
        """``position``: bytes of the file read so far."""
        self._bar.update(max(position - self._bar.n, 0))
        rate = rows / max(time.monotonic() - self._started, 1e-9)
        self._bar.set_postfix_str(f"{rows:,} rows, {rate:,.0f} rows/s", refresh=False)

    def classifying(self) -> None:
        self._bar.set_postfix_str("classifying the customers", refresh=True)

    def close(self) -> None:
        self._bar.close()


async def import_events(
    database_url: str,
    workspace: str,
    source: EventFile,
    clock: Clock,
    describe: Describe,
    *,
    chunk_size: int = CHUNK_SIZE,
    notify: bool = False,
    history: bool = True,
    show_progress: bool | None = None,
    max_rows: int | None = None,
    timeouts: Timeouts = UNBOUNDED,
    reader: Reader | None = None,
) -> Summary:
    """Imports the file's rows (the first ``max_rows`` only, when given) into the workspace.
    ``describe`` gives the problem each rejected row is reported with (the CLI passes the
    API's, ``app.api.problems.error_problem``, so a row is refused in the API's words).
    ``reader``: the file's reading process, when the caller started it already (then
    ``chunk_size`` and ``max_rows`` are its own); it is closed at the end. ``history``
    false classifies each customer once, as of now, without rebuilding its past moves."""
    started = time.monotonic()
    if reader is None:
        reader = Reader(source, describe, chunk_size=chunk_size, max_rows=max_rows)
    try:
        with rare_collections():
            return await _import(
                database_url, workspace, source, reader, clock, describe, notify=notify,
                history=history, show_progress=show_progress, timeouts=timeouts, started=started,
            )  # fmt: skip
    finally:
        reader.close()


async def _import(
    database_url: str,
    workspace: str,
    source: EventFile,
    reader: Reader,
    clock: Clock,
    describe: Describe,
    *,
    notify: bool,
    history: bool,
    show_progress: bool | None,
    timeouts: Timeouts,
    started: float,
) -> Summary:
    engine = create_engine(database_url, pool_size=STORES_IN_FLIGHT, timeouts=timeouts)
    try:
        target = await _workspace(engine, workspace)
        rejected = RejectedRows(rejected_path_for(source.path), describe)
        rejected.start()
        summary = Summary()
        progress = Progress(source, show_progress)
        try:
            await _run(engine, target, reader, clock, rejected, progress, summary, notify=notify)
            progress.classifying()
            await _retried(
                engine,
                partial(statistics.analyze_if_underestimated, workspace_id=target.id,
                        table="events", at_least=summary.created),
                "the database refused to analyse the imported events",
            )  # fmt: skip
            summary.classified = await _classify_pending(engine, target, clock, history)
        except (ImportFailed, ImportFileError) as error:
            raise ImportFailed(str(error), summary) from error
        finally:
            progress.close()
            rejected.close()
            summary.seconds = time.monotonic() - started
            summary.rejected_path = rejected.path if summary.rejected else None
        return summary
    finally:
        await engine.dispose()


async def _workspace(engine: AsyncEngine, slug_or_id: str) -> Workspace:
    try:
        async with engine.begin() as conn:
            row = await auth_service.resolve_workspace(conn, slug_or_id)
    except TierlineError as error:
        raise ImportFailed(error.detail) from error
    except (OSError, SQLAlchemyError) as error:
        raise ImportFailed(f"cannot reach the database: {error}") from error
    return Workspace(row.id, row.base_currency)


async def _run(
    engine: AsyncEngine,
    workspace: Workspace,
    reader: Reader,
    clock: Clock,
    rejected: RejectedRows,
    progress: Progress,
    summary: Summary,
    *,
    notify: bool,
) -> None:
    reading = asyncio.ensure_future(asyncio.to_thread(reader.next))
    storing: deque[tuple[ReadChunk, asyncio.Future[list[ItemResult]]]] = deque()
    before: asyncio.Future[list[ItemResult]] | None = None
    try:
        while True:
            try:
                chunk = await reading
            except ReaderStopped as error:
                raise ImportFailed(str(error)) from error
            if not chunk.rows:
                break
            # The reading process reads on meanwhile: ask for its next chunk.
            reading = asyncio.ensure_future(asyncio.to_thread(reader.next))
            events = [row.event for row in chunk.rows if row.event is not None]
            stored = _store_chunk(engine, workspace, events, clock, notify, _after(before))
            before = asyncio.ensure_future(stored)
            storing.append((chunk, before))
            if len(storing) == STORES_IN_FLIGHT:
                _tally(*(await _next_stored(storing)), rejected, progress, summary)
        while storing:
            _tally(*(await _next_stored(storing)), rejected, progress, summary)
    finally:
        for _, store in storing:
            store.cancel()
        reader.kill()  # a no-op once the file is read; else it ends the thread waiting
        pending: list[asyncio.Future[Any]] = [reading, *(store for _, store in storing)]
        await asyncio.wait(pending)
        if not reading.cancelled():
            reading.exception()  # seen: after the kill above, the reader's end is expected


async def _next_stored(
    storing: deque[tuple[ReadChunk, asyncio.Future[list[ItemResult]]]],
) -> tuple[ReadChunk, list[ItemResult]]:
    """The oldest chunk in flight, once stored, and its results."""
    chunk, store = storing[0]
    results = await store
    storing.popleft()
    return chunk, results


def _tally(
    chunk: ReadChunk,
    results: list[ItemResult],
    rejected: RejectedRows,
    progress: Progress,
    summary: Summary,
) -> None:
    judged = iter(results)
    for row in chunk.rows:
        if row.problem is not None:
            summary.rejected += 1
            rejected.add(row, row.problem)
            continue
        result = next(judged)
        if isinstance(result, Rejected):
            summary.rejected += 1
            rejected.add(row, rejected.describe(result.error))
        else:
            summary.count(result.status)
    summary.rows += len(chunk.rows)
    progress.update(summary.rows, chunk.position)


def _after(before: asyncio.Future[list[ItemResult]] | None) -> Turn:
    """A chunk's turn to write: once the chunk before it is stored (or has failed, which
    fails the import). Chunks are staged at once but write one after the other, in file
    order: the first row of an id is the one stored, and the newest traits win."""

    async def turn() -> None:
        if before is not None:
            await asyncio.wait([before])

    return turn


async def _store_chunk(
    engine: AsyncEngine,
    workspace: Workspace,
    events: list[Parsed],
    clock: Clock,
    notify: bool,
    turn: Turn,
) -> list[ItemResult]:
    if not events:
        await turn()  # so that the chunk after it waits for the one before
        return []
    return await _retried(
        engine,
        lambda conn: store_for_later(
            conn, workspace, events, clock.now(), notify=notify, turn=turn
        ),
        "the database refused a chunk",
    )


async def _classify_pending(
    engine: AsyncEngine, workspace: Workspace, clock: Clock, history: bool
) -> int:
    """Classifies the workspace's pending customers, a chunk per transaction; how many."""
    classified = 0
    while True:
        taken = await _retried(
            engine,
            partial(
                _classify_next,
                workspace=workspace,
                clock=clock,
                classified=classified,
                history=history,
            ),
            "the database refused to classify the imported customers",
        )
        if not taken:
            return classified
        classified += taken


async def _classify_next(
    conn: AsyncConnection, *, workspace: Workspace, clock: Clock, classified: int, history: bool
) -> int:
    # Chunks grow with what was classified, up to CLASSIFY_CHUNK: a chunk's statements are
    # planned with the statistics of the tiers before it (analysed as they double), and a
    # first chunk of thousands, planned as if the workspace had no tiers, looked each
    # customer's tier up among all of them.
    limit = min(CLASSIFY_CHUNK, max(statistics.MIN_ROWS, classified))
    return await classify_pending(conn, workspace, clock.now(), limit, classified, history=history)


async def _retried(
    engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[_T]], refused: str
) -> _T:
    """``work`` in a transaction of its own, run again after a deadlock, a serialization
    failure or a lock timeout."""
    attempt = 0
    while True:
        try:
            async with engine.begin() as conn:
                return await work(conn)
        except (DBAPIError, asyncpg.PostgresError) as error:
            attempt += 1
            if not is_transient(error) or attempt == RETRIES:
                raise ImportFailed(f"{refused}: {getattr(error, 'orig', error)}") from error
            await asyncio.sleep(0.05 * 2**attempt)
        except (OSError, SQLAlchemyError, asyncpg.InterfaceError) as error:
            raise ImportFailed(f"lost the database: {error}") from error
