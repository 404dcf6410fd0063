"""Every ``/v1`` request's API key checked before its body is read, and the request counted
against its workspace's share of the process (``app.api.limits``).

A body is read and parsed only for a caller with a key: without one, a 10 MiB batch used to
be read, parsed and held before the route's 401. The key is looked up in the process's
configuration cache (microseconds when warm; one database read when the process has not seen
the key), so it is known to exist, not yet that it is current: the routes confirm that where
they always have (the request's transaction, the flush's version check, the statement's
version column) and check the scope they need. Every route under ``/v1`` takes a key, so an
unknown path there is a 401 too, for a caller without one.

What was found is left in the scope's state as ``caller`` (``Caller``): the dependencies of
``app.api.deps`` start from it instead of looking the key up again, and take their
connections in the caller's workspace's turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.direct import exception_handler
from app.api.limits import WorkspaceLimits
from app.auth.principal import Principal
from app.classification.config import ConfigCache, WorkspaceConfig

PREFIX = "/v1/"


@dataclass(frozen=True, slots=True)
class Caller:
    """A request's key as the cache knows it: not yet confirmed current."""

    key_hash: bytes
    principal: Principal
    config: WorkspaceConfig


class AuthenticateFirst:
    """Installed outside ``BodyGuard``, which reads the body."""

    def __init__(self, app: ASGIApp, application: FastAPI) -> None:
        self.app = app
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        limits: WorkspaceLimits = self.application.state.limits
        try:
            caller = await self._caller(scope)
            workspace_id = caller.config.workspace_id
            limits.start_request(workspace_id)
        except Exception as error:
            await self._refuse(scope, receive, send, error)
            return
        scope.setdefault("state", {})["caller"] = caller
        try:
            await self.app(scope, receive, send)
        finally:
            limits.end_request(workspace_id)

    async def _caller(self, scope: Scope) -> Caller:
        state = self.application.state
        configs: ConfigCache = state.configs
        key_hash, cached = configs.principal(_authorization(scope))
        if cached is None:
            async with state.engine.begin() as conn:
                cached = await configs.load_principal(conn, key_hash)
        return Caller(key_hash, *cached)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        """The answer the app's handlers give ``error``, the body left unread."""
        handler = exception_handler(self.application, error)
        if handler is None:
            raise error
        # For the metrics and the access log, which count requests by route template.
        scope["route"] = _route(self.application, scope)
        response = await handler(Request(scope), error)
        headers = Headers(scope=scope)
        if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
            # The body is never read: close rather than drain it for the next request.
            response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    # A loop over the raw headers: Starlette's Headers cost four times as much on every event.
    for name, value in scope["headers"]:
        if name == b"authorization":
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def _route(application: FastAPI, scope: Scope) -> Any:
    """The route the router would put in the scope, or None."""
    for context in iter_route_contexts(application.routes):
        match, child_scope = context.matches(scope)
        if match is not Match.NONE:
            return child_scope.get("route", context.original_route)
    return None
