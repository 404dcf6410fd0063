"""A loopback proxy in front of PostgreSQL that counts round trips at the wire.

A round trip is a message after which the client waits for the server: ``Sync`` ends an
extended-protocol exchange (a prepared statement's bind and execute, or a prepare), and
``Query`` is a simple-protocol statement (asyncpg sends ``BEGIN`` and ``COMMIT`` so). The
proxy records the statement texts it sees too, to say what came back when a count fails.
``proxied_app`` runs the app with every pooled connection through such a proxy.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.engine import URL, make_url

from app.auth import service as auth_service
from app.clock import Clock
from app.main import create_app
from app.settings import Settings

SSL_REQUEST = 80877103


@dataclass
class Wire:
    """Counts, over every connection through the proxy, the round trips clients start."""

    round_trips: int = 0
    statements: list[str] = field(default_factory=list)
    _pending: list[str] = field(default_factory=list)
    _prepared: dict[bytes, str] = field(default_factory=dict)

    def reset(self) -> None:
        self.round_trips = 0
        self.statements.clear()

    def _message(self, kind: bytes, payload: bytes) -> None:
        if kind == b"Q":
            self.round_trips += 1
            self.statements.append(payload.rstrip(b"\0").decode(errors="replace"))
        elif kind == b"P":
            # Parse: the statement's name, then its text.
            name, _, rest = payload.partition(b"\0")
            query = rest.partition(b"\0")[0].decode(errors="replace")
            self._prepared[name] = query
            self._pending.append("prepare: " + query)
        elif kind == b"B":
            # Bind: the portal's name, then the statement's.
            statement = payload.split(b"\0", 2)[1]
            self._pending.append("execute: " + self._prepared.get(statement, "?"))
        elif kind == b"S":
            self.round_trips += 1
            self.statements.append(" | ".join(self._pending) or "sync")
            self._pending.clear()


class Proxy:
    """Listens on a loopback port and forwards to the server of ``url``: over TCP, or over
    its Unix socket when the URL names a socket directory (``?host=/dir``, as the embedded
    PostgreSQL's does)."""

    def __init__(self, url: URL) -> None:
        self.url = url
        self.wire = Wire()
        self._server: asyncio.Server | None = None

    async def _upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        port = self.url.port or 5432
        socket_dir = self.url.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
        return await asyncio.open_connection(self.url.host or "127.0.0.1", port)

    def proxied(self, port: int) -> str:
        """The URL that reaches the server through this proxy, listening on ``port``."""
        through = self.url.difference_update_query(["host"]).set(host="127.0.0.1", port=port)
        return through.render_as_string(hide_password=False)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await self._upstream()
        upstream = asyncio.create_task(self._client_to_server(client_r, server_w, client_w))
        downstream = asyncio.create_task(_pipe(server_r, client_w))
        await asyncio.wait([upstream, downstream], return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        client_w.close()
        server_w.close()

    async def _client_to_server(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
    ) -> None:
        # Untyped start-up messages first. An SSL request is refused here, whatever the
        # server would say, so that the rest stays readable.
        while True:
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
            body = await reader.readexactly(length - 8)
            if code == SSL_REQUEST:
                client.write(b"N")
                await client.drain()
                continue
            writer.write(header + body)
            await writer.drain()
            break
        while True:
            kind = await reader.readexactly(1)
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            payload = await reader.readexactly(length - 4)
            self.wire._message(kind, payload)
            writer.write(kind + struct.pack("!i", length) + payload)
            await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


@dataclass
class Proxied:
    """The app on pools whose connections go through ``proxy``, a client for it, and the
    default workspace's admin key."""

    app: Any
    client: httpx.AsyncClient
    key: str
    proxy: Proxy


@asynccontextmanager
async def proxied_app(database_url: str, clock: Clock, **settings: Any) -> AsyncIterator[Proxied]:
    """The app, started, its database reached through a counting proxy; ``settings`` are
    ``Settings`` fields (background workers are off)."""
    proxy = Proxy(make_url(database_url))
    proxied = proxy.proxied(await proxy.start())
    app = create_app(
        Settings(database_url=proxied, background_workers=False, **settings), clock=clock
    )
    try:
        async with app.router.lifespan_context(app):
            async with app.state.engine.begin() as conn:
                key = await auth_service.bootstrap(conn, clock.now(), None)
            assert key is not None
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                yield Proxied(app, http, key, proxy)
    finally:
        await proxy.close()
