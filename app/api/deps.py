"""Shared request dependencies: the transaction, the clock, the caller."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
import asyncpg
from fastapi import Depends, Query, Request, Response, Security
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.api.authenticate import Caller
from app.api.large_json import loads_in_pieces
from app.api.limits import MAIN_POOL, QUERY_POOL, WorkspaceLimits
from app.api.query import refuse_unknown_query_parameters
from app.auth import service as auth_service
from app.auth.keys import Scope, grants
from app.auth.principal import Principal
from app.classification.config import ConfigCache, WorkspaceConfig
from app.events.batcher import EventBatcher
from app.pagination import MAX_LIMIT

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A Tierline API key: `Authorization: Bearer tl_...`.",
)


def _caller(request: Request) -> Caller:
    """The request's key as ``AuthenticateFirst`` found it, for every route under ``/v1``."""
    caller: Caller = request.state.caller
    return caller


async def _transaction(request: Request) -> AsyncIterator[AsyncConnection]:
    """The request's one transaction, committed before the response is sent, on one of its
    workspace's turns at the main pool, taken before the connection."""
    state = request.app.state
    workspace_id = _caller(request).config.workspace_id
    async with state.limits.connection(MAIN_POOL, workspace_id), state.engine.begin() as conn:
        yield conn


# scope="function": commit happens before the response leaves, so a 2xx means durable.
Transaction = Annotated[AsyncConnection, Depends(_transaction, scope="function")]


async def _now(request: Request) -> datetime:
    # async: FastAPI runs a plain ``def`` dependency in the thread pool, which cost about 4%
    # of the server's CPU per event (bench/README.md, single event).
    now: datetime = request.app.state.clock.now()
    return now


Now = Annotated[datetime, Depends(_now)]


_SCOPES: dict[Callable[..., Any], Scope] = {}
"""The scope each dependency made by ``require``, ``ingestion`` and ``configured`` checks."""


def required_scope(dependant: Dependant) -> Scope | None:
    """The scope a route checks, found among its dependencies: what the OpenAPI document
    states for it (``app.api.responses.state_scopes``), so no route can leave it out."""
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call in _SCOPES:
            return _SCOPES[current.call]
        stack.extend(current.dependencies)
    return None


def require(scope: Scope) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def _principal(
        request: Request,
        conn: Transaction,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Principal:
        principal = await auth_service.authenticate(conn, request.headers.get("authorization"))
        auth_service.authorize(principal, scope)
        return principal

    _principal.__name__ = f"require_{scope.name.lower()}"
    _SCOPES[_principal] = scope
    return _principal


@dataclass(frozen=True, slots=True)
class Ingestion:
    """What the hot write path starts from: the process's group commit of single events,
    the pool of raw connections batch requests run their own transactions on, the engine for
    the rare other statements, the workspace's turns at those pools, the caller's key and
    cached workspace configuration, and the time."""

    batcher: EventBatcher
    pool: asyncpg.Pool
    engine: AsyncEngine
    limits: WorkspaceLimits
    configs: ConfigCache
    config: WorkspaceConfig
    key_hash: bytes
    now: datetime


def ingestion(scope: Scope) -> Callable[..., Coroutine[Any, Any, Ingestion]]:
    """The one dependency of the hot write path: the key as ``AuthenticateFirst`` found it in
    the process's configuration cache, confirmed current by the path itself, after the
    customer's row lock."""

    async def _ingestion(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Ingestion:
        state = request.app.state
        configs: ConfigCache = state.configs
        caller = _caller(request)
        config = caller.config
        if not grants(caller.principal.scopes, scope):
            # A refusal to confirm: the key may have been given the scope since.
            async with state.engine.begin() as conn:
                _, config = await configs.authorized(
                    conn, caller.key_hash, caller.principal, config, scope
                )
        return Ingestion(
            state.batcher,
            state.raw_pool,
            state.engine,
            state.limits,
            configs,
            config,
            caller.key_hash,
            state.clock.now(),
        )

    _ingestion.__name__ = f"ingest_{scope.name.lower()}"
    _SCOPES[_ingestion] = scope
    return _ingestion


class LeanRoute(APIRoute):
    """A route FastAPI documents from its endpoint's signature like any other, whose handler
    calls the endpoint itself: the JSON body validated by the model the endpoint takes, the
    route's one dependency called directly, the endpoint's own ``Response`` sent as is.
    FastAPI's per-request machinery around that (solving the dependency graph, an exit stack,
    the body field's validation, response handling) cost about 15% of an event's server CPU
    (``bench/README.md``). For an endpoint ``(body: Model, context: Dependency) -> Response``
    whose dependency is a plain ``async def (request, credentials)``; errors are those
    FastAPI raises (``RequestValidationError``, so the same problems)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        body_param, context_param = self.dependant.body_params[0], self.dependant.dependencies[0]
        model: type[BaseModel] = body_param.field_info.annotation  # type: ignore[assignment]
        dependency = context_param.call
        endpoint = self.endpoint
        assert dependency is not None

        async def handle(request: Request) -> Response:
            refuse_unknown_query_parameters(request)  # the app's dependency, which this skips
            context = await dependency(request, None)
            body = await parsed_body(model, await request.body())
            response: Response = await endpoint(body, context)
            return response

        return handle


PARSE_IN_THREAD_BYTES = 256 * 1024
"""Bodies from this size on are parsed in a worker thread, in pieces (``app.api.large_json``)."""


async def parsed_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    """``validated_body``, off the event loop for a large body: parsing a 10 MiB batch takes
    the loop from every other request for tens to hundreds of milliseconds."""
    if len(raw) < PARSE_IN_THREAD_BYTES:
        return validated_body(model, raw)
    return await anyio.to_thread.run_sync(validated_body, model, raw, loads_in_pieces)


def validated_body(
    model: type[BaseModel], raw: bytes, loads: Callable[[bytes], Any] = json.loads
) -> BaseModel:
    """The request body as ``model``, or the ``RequestValidationError`` FastAPI raises for a
    body that is missing, is not JSON, or does not fit the model."""
    if not raw:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        document = loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ]
        ) from None
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None


@dataclass(frozen=True, slots=True)
class Configured:
    """What a read answered by one statement starts from: a connection of the query engine
    (``app.db.engine.create_query_engine``: no transaction, each statement planned for its
    values), the caller and its cached workspace configuration (confirmed current by the
    route's own statement: ``ConfigCache.confirmed``), and the time."""

    conn: AsyncConnection
    configs: ConfigCache
    config: WorkspaceConfig
    key_hash: bytes
    now: datetime


def configured(scope: Scope) -> Callable[..., AsyncIterator[Configured]]:
    """The caller from the process's configuration cache (``AuthenticateFirst``), on one of
    its workspace's turns at the query pool."""

    async def _configured(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> AsyncIterator[Configured]:
        state = request.app.state
        configs: ConfigCache = state.configs
        caller = _caller(request)
        workspace_id = caller.config.workspace_id
        async with (
            state.limits.connection(QUERY_POOL, workspace_id),
            state.query_engine.connect() as conn,
        ):
            _, config = await configs.authorized(
                conn, caller.key_hash, caller.principal, caller.config, scope
            )
            yield Configured(conn, configs, config, caller.key_hash, state.clock.now())

    _configured.__name__ = f"configured_{scope.name.lower()}"
    _SCOPES[_configured] = scope
    return _configured


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1 to 1000.")]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, description="`next_cursor` of the previous page; omit for the first."),
]
