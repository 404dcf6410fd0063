"""Streaming a query's customers as NDJSON or CSV, in constant memory.

Rows come from a server-side cursor on a connection of the exports' own pool, a few hundred at
a time, and each batch is written before the next is fetched. When the client goes away the
response is cancelled and the connection goes back to the pool at once. An export is bounded:
a client that reads nothing for ``stall_seconds`` (``TIERLINE_EXPORT_STALL_TIMEOUT``), or an
export still streaming after ``max_seconds`` (``TIERLINE_EXPORT_MAX_SECONDS``), is ended
without the closing chunk, so the client sees it incomplete rather than short.

CSV is meant to be opened in a spreadsheet: a text value starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` so it is never run as a formula
(numbers Tierline computes are written as they are).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from app.db.errors import IDLE_IN_TRANSACTION_TIMEOUT, QUERY_CANCELED, sqlstate
from app.segments.query import Query, export_statement, item_of, plan_for_these_values

logger = logging.getLogger(__name__)

BATCH = 500
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON")


def csv_columns(query: Query) -> list[tuple[str, tuple[str, ...]]]:
    """The CSV header and where each column's value sits in an item: a group field opens
    into one column per metric or scheme; ``traits`` stays one column of JSON."""
    columns: list[tuple[str, tuple[str, ...]]] = []
    for spec in query.fields:
        if spec.kind == "group" and spec.path == "metrics":
            columns += [(f"metrics.{name}", ("metrics", name)) for name in query.metric_names]
        elif spec.kind == "group" and spec.path == "tiers":
            columns += [(f"tiers.{key}", ("tiers", key)) for key in query.scheme_keys]
        else:
            columns.append((spec.path, spec.ref))
    return columns


def _lookup(item: dict[str, Any], path: Iterable[str]) -> Any:
    value: Any = item
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def csv_cell(value: Any, computed: bool) -> str:
    """One cell: JSON for objects and arrays, neutralised text for anything a client wrote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _json_default(value)
    if isinstance(value, int | float) or computed:
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_lines(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


class ExportEnded(Exception):
    """The export was stopped before its end: its client stalled, or it ran too long."""


class ExportResponse(StreamingResponse):
    """Closes the row stream however the response ends, and ends a response whose client
    stops reading. Starlette stops iterating when the client hangs up but leaves the generator
    to the garbage collector, and with it the connection the generator holds; and a client
    that keeps the connection open without reading would hold the connection for good."""

    def __init__(
        self,
        rows: AsyncGenerator[bytes],
        held: AsyncExitStack,
        fmt: str,
        filename: str,
        stall_seconds: float,
    ) -> None:
        super().__init__(
            rows,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
        )
        self.rows = rows
        self.held = held
        """The connection the rows are read on, and the workspace's turn at the pool."""
        self.stall_seconds = stall_seconds

    async def stream_response(self, send: Send) -> None:
        async def send_or_end(message: Message) -> None:
            try:
                with anyio.fail_after(self.stall_seconds):
                    await send(message)
            except TimeoutError:
                raise ExportEnded(f"its client read nothing for {self.stall_seconds:g} s") from None

        await super().stream_response(send_or_end)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ExportEnded as ended:
            # The closing chunk is not sent: the client must not take a part for the whole.
            logger.warning("export of %s ended: %s", scope["path"], ended)
        finally:
            # A hang-up cancels this task, and every later await in it with it: the
            # connection is given back shielded from that cancellation.
            with anyio.CancelScope(shield=True):
                await self.rows.aclose()
                await self.held.aclose()


async def close(conn: AsyncConnection) -> None:
    """Gives the connection back; one PostgreSQL already closed (its transaction idle too
    long) is discarded."""
    try:
        await conn.close()
    except DBAPIError:
        await conn.invalidate()


async def stream(
    conn: AsyncConnection, query: Query, fmt: str, max_seconds: float
) -> AsyncGenerator[bytes]:
    """The export's lines, read on ``conn`` (of the exports' own pool), which the response
    gives back (``close``)."""
    deadline = time.monotonic() + max_seconds
    columns = csv_columns(query)
    if fmt == "csv":
        yield _csv_lines([[csv_cell(name, computed=False) for name, _ in columns]])
    await conn.begin()
    await plan_for_these_values(conn)
    result = await conn.stream(export_statement(query))
    try:
        async for rows in result.partitions(BATCH):
            if time.monotonic() > deadline:
                raise ExportEnded(f"it ran past its {max_seconds:g}-second limit")
            yield _lines(query, columns, fmt, rows)
    except DBAPIError as error:
        code = sqlstate(error)
        if code == QUERY_CANCELED:
            raise ExportEnded("a fetch of its next rows ran past the time limit") from error
        if code == IDLE_IN_TRANSACTION_TIMEOUT or error.connection_invalidated:
            raise ExportEnded("its client read nothing for too long") from error
        raise


def _lines(
    query: Query, columns: list[tuple[str, tuple[str, ...]]], fmt: str, rows: Sequence[Any]
) -> bytes:
    items = [item_of(query, row) for row in rows]
    if fmt == "ndjson":
        return "".join(
            json.dumps(item, default=_json_default, separators=(",", ":")) + "\n" for item in items
        ).encode()
    return _csv_lines(
        [
            [csv_cell(_lookup(item, path), computed=path[0] == "metrics") for _, path in columns]
            for item in items
        ]
    )
