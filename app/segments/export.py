"""Streaming a query's customers as NDJSON or CSV, in constant memory.

Rows come from a server-side cursor on a connection of the export's own, a few hundred at a
time, and each batch is written before the next is fetched. When the client goes away the
response is cancelled and the connection goes back to the pool at once.

CSV is meant to be opened in a spreadsheet: a text value starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` so it is never run as a formula
(numbers Tierline computes are written as they are).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.segments.query import Query, export_statement, item_of, plan_for_these_values

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


class ExportResponse(StreamingResponse):
    """Closes the row stream however the response ends. Starlette stops iterating when the
    client hangs up but leaves the generator to the garbage collector, and with it the
    connection the generator holds."""

    def __init__(self, rows: AsyncGenerator[bytes], fmt: str, filename: str) -> None:
        super().__init__(
            rows,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
        )
        self.rows = rows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.rows.aclose()


async def stream(engine: AsyncEngine, query: Query, fmt: str) -> AsyncGenerator[bytes]:
    columns = csv_columns(query)
    if fmt == "csv":
        yield _csv_lines([[csv_cell(name, computed=False) for name, _ in columns]])
    conn = await engine.connect()
    try:
        await conn.begin()
        await plan_for_these_values(conn)
        result = await conn.stream(export_statement(query))
        async for rows in result.partitions(BATCH):
            items = [item_of(query, row) for row in rows]
            if fmt == "ndjson":
                yield "".join(
                    json.dumps(item, default=_json_default, separators=(",", ":")) + "\n"
                    for item in items
                ).encode()
            else:
                yield _csv_lines(
                    [
                        [
                            csv_cell(_lookup(item, path), computed=path[0] == "metrics")
                            for _, path in columns
                        ]
                        for item in items
                    ]
                )
    finally:
        # A hang-up cancels this generator's task, and every later await in it with it:
        # the connection is given back shielded from that cancellation.
        with anyio.CancelScope(shield=True):
            await conn.close()
