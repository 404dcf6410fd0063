"""A real HTTP receiver for webhook tests: an asyncio server on a loopback address speaking
just enough HTTP/1.1 (one request per connection), recording every request and answering from
a script."""

from __future__ import annotations

import asyncio
import contextlib
import http
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType

MAX_HEADER_LINES = 100


@dataclass(frozen=True)
class Reply:
    """How to answer one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    """Seconds to wait before answering."""
    close: bool = False
    """Close the connection without answering."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes
    reply: Reply


class Receiver:
    """``async with Receiver() as receiver``: answers ``script`` replies in order, then
    ``default``; ``url(path)`` is where it listens: on ``host``, a loopback address."""

    def __init__(self, default: Reply | None = None, host: str = "127.0.0.1") -> None:
        self.default = default or Reply()
        self.host = host
        self.script: deque[Reply] = deque()
        self.requests: list[Request] = []
        self.in_flight: dict[str, int] = {}
        self.peak_in_flight: dict[str, int] = {}
        """By path: the most requests being answered at once."""
        self.peak_total = 0
        """The most requests being answered at once, all paths together."""
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._arrived = asyncio.Condition()

    def url(self, path: str = "/hook") -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self.host}:{port}{path}"

    def reply(self, *replies: Reply) -> None:
        self.script.extend(replies)

    async def wait_for(self, count: int, at_most: float = 30.0) -> None:
        """Until ``count`` requests have arrived (an event, not a schedule)."""
        async with asyncio.timeout(at_most), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._exchange(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # the client went away
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode("latin-1").strip()
        if not request_line:
            return
        method, path, _version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADER_LINES):
            line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        reply = self.script.popleft() if self.script else self.default
        async with self._arrived:
            self.requests.append(Request(method, path, headers, body, reply))
            self._arrived.notify_all()
        self.in_flight[path] = self.in_flight.get(path, 0) + 1
        self.peak_in_flight[path] = max(self.peak_in_flight.get(path, 0), self.in_flight[path])
        self.peak_total = max(self.peak_total, sum(self.in_flight.values()))
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.close:
                return
            writer.write(_response(reply))
            await writer.drain()
        finally:
            self.in_flight[path] -= 1


def _response(reply: Reply) -> bytes:
    try:
        phrase = http.HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [
        f"HTTP/1.1 {reply.status} {phrase}",
        f"Content-Length: {len(reply.body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in reply.headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body
