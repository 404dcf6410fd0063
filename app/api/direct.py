"""One route's requests sent straight to its handler, past the router."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute:
    """Middleware that hands the requests of one route (method and exact path) to the route's
    own handler, and its errors to the app's exception handlers, as the router would.

    Every event comes through ``POST /v1/events``. Between the middlewares and the handler,
    Starlette's exception middleware, FastAPI's exit stack, the route matching (every route of
    every router is tried in turn) and the request-response wrappers cost about a quarter of
    the server's CPU per event (``bench/README.md``, group commit). Installed innermost, so
    the request id, metrics, access log and body limits (``BodyGuard``) apply as to any
    route; an error no handler takes goes on to the server-error middleware (500) as before.
    The route stays registered with FastAPI, which documents it and serves it when this is
    not installed."""

    def __init__(self, app: ASGIApp, application: FastAPI, method: str, path: str) -> None:
        self.app = app
        self.application = application
        self.method = method
        self.path = path
        self._route: Any = None
        self._handle: Handler | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != self.method:
            await self.app(scope, receive, send)
            return
        if self._handle is None:
            self._route, self._handle = self._find(scope)
        scope["route"] = self._route
        request = Request(scope, receive, send)
        try:
            response = await self._handle(request)
        except Exception as error:
            handler = exception_handler(self.application, error)
            if handler is None:
                raise
            response = await handler(request, error)
        await response(scope, receive, send)

    def _find(self, scope: Scope) -> tuple[Any, Handler]:
        """The route as the router would put it in the scope, and its handler."""
        for context in iter_route_contexts(self.application.routes):
            match, child_scope = context.matches(scope)
            route = context.original_route
            if match is Match.FULL and isinstance(route, APIRoute):
                return child_scope.get("route", route), route.get_route_handler()
        raise LookupError(f"no route {self.method} {self.path}")


def exception_handler(application: FastAPI, error: Exception) -> Any:
    """The app's handler for ``error``'s class, but the catch-all of ``Exception``, which
    the server-error middleware applies."""
    handlers = application.exception_handlers
    for cls in type(error).__mro__:
        if cls in handlers and cls is not Exception:
            return handlers[cls]
    return None
