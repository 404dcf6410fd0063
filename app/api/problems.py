"""RFC 9457 problem+json for every error the API returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

from app.db.engine import RETRYABLE_SQLSTATES
from app.db.errors import LOCK_NOT_AVAILABLE, QUERY_CANCELED
from app.errors import TierlineError, field_errors
from app.observability import request_id_var

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tierline:problem:"


def problem_body(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        problem_body(status, slug, title, detail, instance, **extra),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=all_headers or None,
    )


def error_problem(error: TierlineError, instance: str | None = None) -> dict[str, Any]:
    return problem_body(
        error.status, error.slug, error.title, error.detail, instance, **error.extra
    )


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Missing or invalid API key"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported content type"),
}


@dataclass(frozen=True, slots=True)
class _RetryLater:
    """The 503 for a database error that undid the request: nothing was stored."""

    slug: str
    title: str
    detail: str
    retry_after: int


_COLLIDED = _RetryLater(
    "contention",
    "Concurrent update",
    # Nothing was committed; events are idempotent, so a retry is always safe.
    "The request collided with a concurrent one and was rolled back; retry it.",
    1,
)
_RETRY_LATER: dict[str, _RetryLater] = {
    **dict.fromkeys(RETRYABLE_SQLSTATES, _COLLIDED),
    QUERY_CANCELED: _RetryLater(
        "query-timeout",
        "Query took too long",
        "The request's query ran past its time limit and was stopped; nothing was stored. "
        "Narrow the condition, or retry when the service is less busy.",
        5,
    ),
    LOCK_NOT_AVAILABLE: _RetryLater(
        "contention",
        "Concurrent update",
        "The request waited too long for a row another request holds and was rolled back; "
        "retry it.",
        1,
    ),
}


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to; Starlette's 405 names only those of one route."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def _database_unavailable(request: Request) -> JSONResponse:
    logger.warning("database unavailable for %s %s", request.method, request.url.path)
    return problem_response(
        503,
        "database-unavailable",
        "Database unavailable",
        "The database could not be reached; nothing was stored. Retry shortly.",
        request.url.path,
        headers={"Retry-After": "5"},
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(TierlineError)
    async def _domain(request: Request, error: TierlineError) -> JSONResponse:
        headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
        return problem_response(
            error.status,
            error.slug,
            error.title,
            error.detail,
            request.url.path,
            headers=headers,
            **error.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        raw = error.errors()
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem_response(
                400,
                "invalid-json",
                "Body is not valid JSON",
                "The request body could not be parsed as JSON.",
                request.url.path,
            )
        errors = field_errors(raw, drop_prefix=1)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem_response(
            422,
            "validation-error",
            "Request validation failed",
            f"{first['field']}: {first['message']}",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        slug, title = _HTTP_SLUGS.get(error.status_code, ("error", "Error"))
        detail = str(error.detail) if error.detail else title
        if error.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {request.method} {request.url.path}."
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return problem_response(
            error.status_code, slug, title, detail, request.url.path, headers=headers
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, error: DBAPIError) -> JSONResponse:
        sqlstate = getattr(error.orig, "sqlstate", None)
        if error.connection_invalidated:
            return _database_unavailable(request)
        return await _raw_database(request, sqlstate, error)

    @app.exception_handler(asyncpg.PostgresError)
    async def _asyncpg(request: Request, error: asyncpg.PostgresError) -> JSONResponse:
        """From the raw connections of the hot write path (``app.db.engine``)."""
        return await _raw_database(request, getattr(error, "sqlstate", None), error)

    @app.exception_handler(asyncpg.InterfaceError)
    async def _asyncpg_connection(request: Request, error: asyncpg.InterfaceError) -> JSONResponse:
        if isinstance(error, asyncpg.ConnectionDoesNotExistError):
            return _database_unavailable(request)
        return await _unexpected(request, error)

    async def _raw_database(
        request: Request, sqlstate: str | None, error: Exception
    ) -> JSONResponse:
        answer = _RETRY_LATER.get(sqlstate or "")
        if answer is not None:
            return problem_response(
                503,
                answer.slug,
                answer.title,
                answer.detail,
                request.url.path,
                headers={"Retry-After": str(answer.retry_after)},
            )
        # No SQLSTATE: the connection failed; class 08 (connection exception) and 57
        # (operator intervention: shutting down, cannot connect now) are the server's.
        if sqlstate is None or sqlstate[:2] in ("08", "57"):
            return _database_unavailable(request)
        return await _unexpected(request, error)

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(request: Request, error: SQLAlchemyTimeoutError) -> JSONResponse:
        return _database_unavailable(request)

    @app.exception_handler(OSError)
    async def _unreachable(request: Request, error: OSError) -> JSONResponse:
        return _database_unavailable(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Starlette runs this handler outside every middleware, after RequestContext has reset
        # the request id; the id is taken back from the scope so the log and the reply carry it.
        request_id: str | None = getattr(request.state, "request_id", None)
        token = request_id_var.set(request_id)
        try:
            logger.exception("unhandled error", exc_info=error)
        finally:
            request_id_var.reset(token)
        return problem_response(
            500,
            "internal-error",
            "Internal server error",
            "An unexpected error occurred; it has been logged.",
            request.url.path,
            headers={"X-Request-Id": request_id} if request_id else None,
        )
