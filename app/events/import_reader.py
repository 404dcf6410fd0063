"""The import's reading process: the file read, validated and parsed beside the importer.

Validating a row and computing what storing it takes (``app.events.parsed.parsed``: the
fingerprint, the JSON texts, the row encoded for ``COPY``) is most of the Python an import
runs per row, and in a thread it shared one GIL with the process that feeds the database.
So a child process (forked, so it starts at once and needs nothing pickled to start) reads
the file and sends the importer each chunk as soon as it is ready: per row its line, the row
as read, and either its ``Parsed`` event (plain values, cheap to unpickle) or the problem it
is refused with, described in the child by the importer's own ``describe``. The child
keeps up to ``READ_AHEAD`` chunks ready: the command starts it before its own heavier imports
and its migration check, so the first chunks are ready when the database is.

The child ignores Ctrl-C (the terminal sends it to both processes): the importer stops it.
A child that dies leaves the importer a closed pipe, an error, never a short import.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from app.errors import TierlineError
from app.events.import_file import EventFile, ImportFileError, Row
from app.events.parsed import Parsed, parsed

CHUNK_SIZE = 5000
READ_AHEAD = 4
"""Chunks the child holds ready (about 1.5 MB each at 5,000 rows): it reads on while the
importer starts up and while the database stores."""

GC_EVERY = 50_000

Describe = Callable[[TierlineError], dict[str, Any]]


class ReaderStopped(Exception):
    """The reading process ended without sending the whole file."""


class ReadRow(NamedTuple):
    """A row as the importer gets it: its event parsed, or the problem it is refused with."""

    line: int
    raw: bytes | dict[str, str]
    event: Parsed | None
    problem: dict[str, Any] | None

    def shown(self) -> Any:
        """The row for a report (``Row.shown``)."""
        return Row(self.line, self.raw, None, None).shown()


@dataclass(frozen=True, slots=True)
class ReadChunk:
    rows: list[ReadRow]
    position: int
    """Bytes of the file read once this chunk was (``EventFile.position``)."""


@contextmanager
def rare_collections() -> Iterator[None]:
    """The cyclic garbage collector run every ``GC_EVERY`` allocations rather than 700.

    An import allocates a few objects per row and keeps few (the rows of a chunk or two, no
    cycles of note), but with the default threshold the collector ran every 700 of them and
    went through the process's live objects: unpickling a chunk took 6-8 us a row, 2 with
    the collector off."""
    before = gc.get_threshold()
    gc.set_threshold(GC_EVERY, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _chunks(
    source: EventFile, chunk_size: int, max_rows: int | None, describe: Describe
) -> Iterator[bytes]:
    """The file's chunks, pickled; an empty chunk last. An ``ImportFileError`` is sent as its
    message (a ``str``)."""
    rows: Iterator[Row] = source.rows()
    if max_rows is not None:
        rows = islice(rows, max_rows)
    try:
        while True:
            chunk = [
                (
                    row.line,
                    row.raw,
                    None if row.event is None else tuple(parsed(row.event)),
                    None if row.error is None else describe(row.error),
                )
                for row in islice(rows, chunk_size)
            ]
            yield pickle.dumps((chunk, source.position), protocol=pickle.HIGHEST_PROTOCOL)
            if not chunk:
                return
    except ImportFileError as error:
        yield pickle.dumps(str(error), protocol=pickle.HIGHEST_PROTOCOL)


def _read(
    source: EventFile,
    chunk_size: int,
    max_rows: int | None,
    describe: Describe,
    sending: Connection,
    receiving: Connection,
) -> None:
    """The child: reads on while a thread of its own sends, ``READ_AHEAD`` chunks ahead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    receiving.close()
    gc.set_threshold(GC_EVERY)
    ready: queue.Queue[bytes | None] = queue.Queue(maxsize=READ_AHEAD)

    def send() -> None:
        try:
            while (payload := ready.get()) is not None:
                sending.send_bytes(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the importer stopped reading: it has ended, or is ending

    sender = threading.Thread(target=send, name="sender", daemon=True)
    sender.start()
    for payload in chain(_chunks(source, chunk_size, max_rows, describe), [None]):
        while not _put(ready, payload):
            if not sender.is_alive():
                return
    sender.join()
    sending.close()


def _put(ready: queue.Queue[bytes | None], payload: bytes | None) -> bool:
    try:
        ready.put(payload, timeout=0.5)
    except queue.Full:
        return False
    return True


class Reader:
    """The reading process of one import, started at once; ``next()`` blocks (run it in a
    thread)."""

    def __init__(
        self,
        source: EventFile,
        describe: Describe,
        *,
        chunk_size: int = CHUNK_SIZE,
        max_rows: int | None = None,
    ) -> None:
        receiving, sending = multiprocessing.Pipe(duplex=False)
        self._receiving = receiving
        self._process = multiprocessing.get_context("fork").Process(
            target=_read,
            args=(source, chunk_size, max_rows, describe, sending, receiving),
            name="tierline import reader",
            daemon=True,
        )
        self._process.start()
        sending.close()
        self._done = False
        self._closed = False

    def next(self) -> ReadChunk:
        """The next chunk; an empty one once the file is read. Raises ``ImportFileError``
        when the file could not be read on, ``ReaderStopped`` when the process died."""
        if self._done:
            return ReadChunk([], 0)
        try:
            # From our own child process, over a pipe only the two hold.
            payload = pickle.loads(self._receiving.recv_bytes())  # noqa: S301
        except (EOFError, OSError) as error:
            self._done = True
            self._process.join(timeout=1)
            raise ReaderStopped(
                f"the process reading the file stopped (exit code {self._process.exitcode})"
            ) from error
        if isinstance(payload, str):
            self._done = True
            raise ImportFileError(payload)
        chunk, position = payload
        if not chunk:
            self._done = True
        # Plain tuples pickle several times faster than named ones, whose __new__ is Python.
        new = tuple.__new__
        return ReadChunk(
            [
                new(ReadRow, (line, raw, None if event is None else new(Parsed, event), problem))
                for line, raw, event, problem in chunk
            ],
            position,
        )

    def kill(self) -> None:
        """Ends the process, at once if it is still reading: a ``next()`` waiting in another
        thread then raises ``ReaderStopped``."""
        if not self._closed and self._process.is_alive():
            self._process.kill()

    def close(self) -> None:
        """Ends the process and closes the pipe; once no thread is in ``next()``."""
        if self._closed:
            return
        self.kill()
        self._process.join()
        self._process.close()
        self._receiving.close()
        self._closed = True
