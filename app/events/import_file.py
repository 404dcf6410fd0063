"""Reading an import file: NDJSON or CSV of events, optionally gzipped, one row at a time.

The format is told from the content, never from the name: gzip by its magic bytes, then NDJSON
when the first line is a JSON object, CSV when it is a header row naming event columns. A file
that is neither, or a CSV without the required columns, is refused before anything is read
further (``ImportFileError``). A bad row is only that row's problem: it comes out as a ``Row``
with its reason, and the rows after it are read as usual.

CSV columns: ``event_id``, ``customer_id``, ``type``, ``occurred_at``, ``amount``, ``currency``,
and ``properties`` / ``traits`` either as JSON-object columns or as one column per name
(``properties.channel``, ``traits.region``). Such a per-name cell holding a JSON number,
``true``, ``false`` or ``null`` becomes that value (``null`` in a ``traits.`` column removes
the trait); an empty cell is left out; anything else is a string.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import TypeAdapter, ValidationError

from app.errors import BadRequest, InvalidInput, TierlineError
from app.events.parsed import invalid
from app.events.schemas import EventIn

GZIP_MAGIC = b"\x1f\x8b"
REQUIRED_COLUMNS = ("event_id", "customer_id", "type", "occurred_at")
OPTIONAL_COLUMNS = ("amount", "currency", "properties", "traits")
NESTED_PREFIXES = ("properties.", "traits.")
MAX_HEADER_BYTES = 1024 * 1024
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}

_event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)

Format = Literal["ndjson", "csv"]


class ImportFileError(Exception):
    """The file cannot be imported at all; nothing has been written."""


class InvalidJsonRow(BadRequest):
    """An NDJSON line that is not JSON: the 400 a request with that body gets."""

    slug, title = "invalid-json", "Row is not valid JSON"


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the file: its event, or why it has none."""

    line: int
    """The line the row starts on (1 is the first line of the file, a CSV header included)."""
    raw: bytes | dict[str, str]
    """The row as read: an NDJSON line, or the CSV cells by column."""
    event: EventIn | None
    error: TierlineError | None
    """Why the row has no event."""

    def shown(self) -> Any:
        """The row for a report: the JSON value, the CSV cells, or the text of a bad line."""
        if isinstance(self.raw, dict):
            return self.raw
        text = self.raw.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            return json.loads(text)
        except ValueError:
            return text


def _row_error(detail: str, code: str, field: str = "body") -> InvalidInput:
    """A row's 422; the arguments in the order of ``_csv_body``'s ``ValueError``."""
    return InvalidInput.at(field, detail, code)


def _open_binary(path: Path) -> tuple[IO[bytes], io.BufferedIOBase, bool]:
    """(the file, its content stream, whether it is gzipped); the file gives the position."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise ImportFileError(f"cannot read {path}: {error.strerror or error}") from error
    compressed = raw.read(2) == GZIP_MAGIC
    raw.seek(0)
    content: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
    return raw, content, compressed


def _first_line(path: Path) -> tuple[bytes, bool]:
    """The first non-blank line of the content (without a UTF-8 BOM), and whether gzipped."""
    raw, content, compressed = _open_binary(path)
    try:
        with raw, content:
            line = content.readline(MAX_HEADER_BYTES).removeprefix(b"\xef\xbb\xbf")
            while line and not line.strip():
                line = content.readline(MAX_HEADER_BYTES)
            return line, compressed
    except (OSError, EOFError, zlib.error) as error:
        what = "is not a readable gzip file" if compressed else "cannot be read"
        raise ImportFileError(f"{path} {what}: {error}") from error


def _neither(path: Path, why: str) -> ImportFileError:
    return ImportFileError(f"{path} is neither NDJSON nor CSV: {why}")


def detect(path: Path) -> tuple[Format | None, list[str], bool]:
    """(format, CSV header, whether gzipped); format None for a file with no rows at all."""
    line, compressed = _first_line(path)
    content = "its content (after gunzip)" if compressed else "its content"
    if not line.strip():
        return None, [], compressed
    if b"\x00" in line:
        raise _neither(path, f"{content} is binary")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _neither(path, f"{content} is not UTF-8 text") from error
    stripped = text.strip()
    if stripped.startswith("{"):
        return "ndjson", [], compressed
    if stripped.startswith("["):
        raise _neither(path, "it starts with a JSON array; NDJSON is one JSON object per line")
    header = [name.strip() for name in next(csv.reader([stripped]))]
    if not any(_is_column(name) for name in header):
        raise _neither(
            path,
            "its first line is not a JSON object (NDJSON), nor a CSV header row naming the "
            f"columns {', '.join(REQUIRED_COLUMNS)}",
        )
    _check_header(path, header)
    return "csv", header, compressed


def _check_header(path: Path, header: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFileError(
            f"{path} is a CSV file without the required columns: {', '.join(missing)} "
            f"(its header row has: {', '.join(header)})"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"{path}: CSV columns named more than once: {', '.join(duplicated)}")
    unknown = [name for name in header if not _is_column(name)]
    if unknown:
        raise ImportFileError(
            f"{path}: unknown CSV columns: {', '.join(unknown)} (columns are "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}, properties.<name> and "
            "traits.<name>)"
        )


def _is_column(name: str) -> bool:
    if name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS:
        return True
    return any(name.startswith(p) and len(name) > len(p) for p in NESTED_PREFIXES)


class EventFile:
    """An import file, format detected; ``rows()`` streams it, ``position`` tells how far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format, self.header, self.compressed = detect(path)
        size = path.stat().st_size
        self.size: int | None = size if path.is_file() and size > 0 else None
        self._raw: IO[bytes] | None = None

    @property
    def position(self) -> int:
        """Bytes of the file read so far (compressed bytes for a gzipped file)."""
        if self._raw is None or self._raw.closed:
            return self.size or 0
        return self._raw.tell()

    def rows(self) -> Iterator[Row]:
        raw, content, _ = _open_binary(self.path)
        self._raw = raw
        try:
            with raw, content:
                if self.format == "ndjson":
                    yield from _ndjson_rows(content)
                elif self.format == "csv":
                    yield from _csv_rows(content, self.header)
        except (OSError, EOFError, zlib.error) as error:
            raise ImportFileError(f"{self.path}: reading stopped: {error}") from error


def _ndjson_rows(content: io.BufferedIOBase) -> Iterator[Row]:
    for number, line in enumerate(content, start=1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        try:
            yield Row(number, line, _event_adapter.validate_json(line), None)
        except ValidationError as error:
            yield Row(number, line, None, _json_error(error))


def _json_error(error: ValidationError) -> TierlineError:
    if any(detail["type"] == "json_invalid" for detail in error.errors()):
        return InvalidJsonRow(f"not a JSON object: {error.errors()[0]['msg']}")
    return invalid(error)


def _csv_rows(content: io.BufferedIOBase, header: list[str]) -> Iterator[Row]:
    reader = csv.reader(_text_lines(content))
    for cells in reader:
        if cells:
            break
    line = reader.line_num + 1
    while True:
        start = line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = reader.line_num + 1
            yield Row(start, {}, None, _row_error(f"is not a CSV record: {error}", "csv"))
            continue
        line = reader.line_num + 1
        if not cells:
            continue
        raw = dict(zip(header, (_printable(cell) for cell in cells), strict=False))
        try:
            body = _csv_body(header, cells)
        except ValueError as error:
            yield Row(start, raw, None, _row_error(*error.args))
            continue
        try:
            yield Row(start, raw, _event_adapter.validate_python(body), None)
        except ValidationError as error:
            yield Row(start, raw, None, invalid(error))


def _text_lines(content: io.BufferedIOBase) -> Iterator[str]:
    """Lines as text; bytes that are not UTF-8 survive as surrogates, for their row to refuse."""
    for number, line in enumerate(content):
        text = line.decode("utf-8", errors="surrogateescape")
        yield text.removeprefix("\ufeff") if number == 0 else text


def _printable(cell: str) -> str:
    return cell.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _csv_body(header: list[str], cells: list[str]) -> dict[str, Any]:
    """The event body of one CSV record; ValueError(message, code, field) when it has none."""
    if len(cells) != len(header):
        raise ValueError(
            f"has {len(cells)} cells; the header row has {len(header)} columns", "cell_count"
        )
    body: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {"properties": {}, "traits": {}}
    for name, cell in zip(header, cells, strict=True):
        if _printable(cell) != cell:
            raise ValueError("is not valid UTF-8", "utf8", name)
        if cell == "":
            continue
        if name in ("properties", "traits"):
            try:
                value = json.loads(cell)
            except ValueError:
                value = None
            if not isinstance(value, dict):
                raise ValueError("must be a JSON object", "json_object", name)
            nested[name] = {**value, **nested[name]}
        elif name.startswith(NESTED_PREFIXES):
            group, key = name.split(".", 1)
            nested[group][key] = _scalar(cell)
        else:
            body[name] = cell
    for group, values in nested.items():
        if values:
            body[group] = values
    return body


def _scalar(cell: str) -> Any:
    if cell in _LITERALS:
        return _LITERALS[cell]
    if _JSON_NUMBER.fullmatch(cell):
        return json.loads(cell)
    return cell
