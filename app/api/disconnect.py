"""Read requests whose client goes away are cancelled, and their queries with them."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})


class CancelOnDisconnect:
    """Middleware that cancels the handler of a read request (``GET``, ``HEAD`` and the
    ``POST`` routes in ``read_posts``, such as a count) as soon as its client disconnects.

    A costly count or search otherwise runs to its end for nobody, holding a connection and a
    PostgreSQL backend: cancelling the handler's task makes asyncpg send PostgreSQL a cancel
    request for the running statement. Writes are never cancelled: a client that goes away
    after sending an event still gets it stored. Installed inside ``BodyGuard``, which hands
    the whole body over in one message, so the only message that can come after it is the
    disconnect."""

    def __init__(self, app: ASGIApp, read_posts: frozenset[str]) -> None:
        self.app = app
        self.read_posts = read_posts

    def _is_read(self, scope: Scope) -> bool:
        method = scope["method"]
        return method in READ_METHODS or (method == "POST" and scope["path"] in self.read_posts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._is_read(scope):
            await self.app(scope, receive, send)
            return
        request = await receive()
        if request["type"] == "http.disconnect":
            return
        if request.get("more_body", False):  # a streamed body: left to the route
            await self.app(scope, _replaying(request, receive), send)
            return

        gone = asyncio.Event()

        async def after_the_body() -> Message:
            await gone.wait()
            return {"type": "http.disconnect"}

        handler = asyncio.ensure_future(self.app(scope, _replaying(request, after_the_body), send))
        watcher = asyncio.ensure_future(receive())
        try:
            await asyncio.wait({handler, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if not handler.done() and watcher.result()["type"] == "http.disconnect":
                gone.set()
                handler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await handler
                return
            await handler
        finally:
            watcher.cancel()
            handler.cancel()


def _replaying(first: Message, then: Receive) -> Receive:
    """``receive`` that hands out ``first`` once, then defers to ``then``."""
    handed = False

    async def receive() -> Message:
        nonlocal handed
        if not handed:
            handed = True
            return first
        return await then()

    return receive
