"""Every error is an RFC 9457 problem+json document, and refused requests store nothing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Request
from sqlalchemy import text

from app.auth import service as auth_service
from app.clock import FrozenClock
from app.main import create_app
from app.observability import request_id_var
from app.settings import Settings
from tests.conftest import T0, bearer

PROBLEM = "application/problem+json"
ONE_MIB = 1024 * 1024


async def _count_keys(app: Any) -> int:
    async with app.state.engine.connect() as conn:
        count: int = (await conn.execute(text("SELECT count(*) FROM api_keys"))).scalar_one()
    return count


def _assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:tierline:problem:{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.get("/v1/no-such-thing", headers=bearer(admin_key))
    body = _assert_problem(response, 404, "not-found")
    assert body["instance"] == "/v1/no-such-thing"
    assert "/v1/no-such-thing" in body["detail"]


async def test_wrong_method_is_a_405_problem_that_lists_the_allowed_methods(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.put("/v1/api-keys", headers=bearer(admin_key))
    _assert_problem(response, 405, "method-not-allowed")
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert allowed == {"GET", "POST"}


async def test_invalid_json_is_400_and_creates_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    before = await _count_keys(app)
    response = await client.post(
        "/v1/api-keys",
        content=b'{"name": "crm", "scopes": ["admin"]',
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    _assert_problem(response, 400, "invalid-json")
    assert await _count_keys(app) == before


async def test_body_that_is_not_utf8_is_400_invalid_encoding(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    before = await _count_keys(app)
    response = await client.post(
        "/v1/api-keys",
        content=b'{"name":"\xff","scopes":["admin"]}',
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    _assert_problem(response, 400, "invalid-encoding")
    assert await _count_keys(app) == before


async def test_json_sent_as_text_plain_is_415_and_creates_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    before = await _count_keys(app)
    response = await client.post(
        "/v1/api-keys",
        content=json.dumps({"name": "crm", "scopes": ["admin"]}).encode(),
        headers=bearer(admin_key) | {"Content-Type": "text/plain"},
    )
    _assert_problem(response, 415, "unsupported-media-type")
    assert await _count_keys(app) == before


async def test_json_media_type_with_charset_or_plus_json_suffix_is_accepted(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = await client.post(
            "/v1/api-keys",
            content=json.dumps({"name": "crm", "scopes": ["events:write"]}).encode(),
            headers=bearer(admin_key) | {"Content-Type": content_type},
        )
        assert response.status_code == 201, (content_type, response.text)
    assert await _count_keys(app) == 3


def _padded_key_request(size: int) -> bytes:
    """A valid create-key body padded with whitespace to exactly ``size`` bytes."""
    body = json.dumps({"name": "crm", "scopes": ["events:write"]}).encode()
    return body + b" " * (size - len(body))


async def test_body_over_one_mib_is_413_from_its_content_length(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    before = await _count_keys(app)
    response = await client.post(
        "/v1/api-keys",
        content=_padded_key_request(ONE_MIB + 1),
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    body = _assert_problem(response, 413, "payload-too-large")
    assert str(ONE_MIB) in body["detail"]
    assert await _count_keys(app) == before


async def test_body_of_exactly_one_mib_is_accepted(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post(
        "/v1/api-keys",
        content=_padded_key_request(ONE_MIB),
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


async def test_chunked_body_over_one_mib_is_413_before_it_is_read_to_the_end(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    chunk = b" " * (64 * 1024)
    total_chunks = 64  # 4 MiB
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "crm", "scopes": ["events:write"]}'
        for _ in range(total_chunks):
            sent += 1
            yield chunk

    before = await _count_keys(app)
    request = client.build_request(
        "POST",
        "/v1/api-keys",
        content=stream(),
        headers=bearer(admin_key) | {"Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    response = await client.send(request)
    _assert_problem(response, 413, "payload-too-large")
    assert sent <= ONE_MIB // len(chunk) + 1 < total_chunks
    assert await _count_keys(app) == before


async def test_batch_routes_get_the_larger_body_limit(
    settings: Settings, clock: FrozenClock
) -> None:
    small = settings.model_copy(update={"max_body_bytes": 100, "max_batch_body_bytes": 400})
    application = create_app(small, clock=clock)
    async with application.router.lifespan_context(application):
        async with application.state.engine.begin() as conn:
            key = await auth_service.bootstrap(conn, clock.now(), None)
        assert key is not None
        payload = {"Content-Type": "application/json"} | bearer(key)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            plain = await http.post(
                "/v1/api-keys", content=b"[" + b" " * 100 + b"]", headers=payload
            )
            batch_ok = await http.post(
                "/v1/events/batch", content=b"[" + b" " * 300 + b"]", headers=payload
            )
            batch_big = await http.post(
                "/v1/events/batch", content=b"[" + b" " * 400 + b"]", headers=payload
            )
            # A segment named "batch": its path ends in /batch, but it is no batch route.
            segment = await http.put(
                "/v1/segments/batch", content=b"[" + b" " * 300 + b"]", headers=payload
            )
    _assert_problem(plain, 413, "payload-too-large")
    assert batch_ok.status_code != 413
    _assert_problem(batch_big, 413, "payload-too-large")
    _assert_problem(segment, 413, "payload-too-large")


async def test_validation_errors_name_each_field_with_a_dotted_path(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    before = await _count_keys(app)
    response = await client.post(
        "/v1/api-keys",
        json={"name": "", "scopes": ["events:write", "events:read"], "colour": "red"},
        headers=bearer(admin_key),
    )
    body = _assert_problem(response, 422, "validation-error")
    errors = {error["field"]: error for error in body["errors"]}
    assert set(errors) == {"name", "scopes.1", "colour"}
    assert errors["colour"]["code"] == "extra_forbidden"
    assert all(error["message"] and error["code"] for error in body["errors"])
    first = body["errors"][0]
    assert body["detail"] == f"{first['field']}: {first['message']}"
    assert await _count_keys(app) == before


async def test_missing_fields_are_reported_as_missing(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post("/v1/api-keys", json={}, headers=bearer(admin_key))
    body = _assert_problem(response, 422, "validation-error")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("name", "missing"),
        ("scopes", "missing"),
    }


class _RequestIdRecorder(logging.Handler):
    """Records the request id in effect when each log record is emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), request_id_var.get()))


async def test_unexpected_exception_is_a_500_problem_without_internals(
    settings: Settings, clock: FrozenClock
) -> None:
    application = create_app(settings, clock=clock)

    # Test routes live outside /v1, where every request needs a key (app.api.authenticate).
    @application.get("/explode")
    async def explode() -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    recorder = _RequestIdRecorder()
    problems_logger = logging.getLogger("app.api.problems")
    problems_logger.addHandler(recorder)
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.get("/explode", headers={"X-Request-Id": "req-500"})
                after = await http.get("/healthz")
    finally:
        problems_logger.removeHandler(recorder)

    body = _assert_problem(response, 500, "internal-error")
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback", "explode"):
        assert leak not in response.text.replace("/explode", "")
    assert response.headers["x-request-id"] == "req-500"
    assert ("unhandled error", "req-500") in recorder.seen
    assert after.status_code == 200


@pytest.mark.parametrize("connection", ["engine", "raw"])
async def test_a_deadlock_rolls_back_one_side_with_a_503_to_retry(
    settings: Settings, clock: FrozenClock, connection: str
) -> None:
    """Two requests lock two things in opposite orders; PostgreSQL breaks the deadlock by
    failing one, which the client is told to retry (nothing of it was committed). Through
    the engine, and on the raw connections of the hot write path (asyncpg's own errors)."""
    application = create_app(settings, clock=clock)
    both_hold_their_first = asyncio.Barrier(2)

    async def through_engine(request: Request, first: int, second: int) -> None:
        async with request.app.state.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": first})
            await both_hold_their_first.wait()
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": second})

    async def raw(request: Request, first: int, second: int) -> None:
        async with request.app.state.raw_pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", first)
            await both_hold_their_first.wait()
            await conn.execute("SELECT pg_advisory_xact_lock($1)", second)

    take = {"engine": through_engine, "raw": raw}[connection]

    @application.post("/lock/{first}/{second}")
    async def lock(first: int, second: int, request: Request) -> dict[str, str]:
        await take(request, first, second)
        return {"status": "locked"}

    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            responses = await asyncio.gather(http.post("/lock/91/92"), http.post("/lock/92/91"))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 503]
    refused = next(r for r in responses if r.status_code == 503)
    _assert_problem(refused, 503, "contention")
    assert refused.headers["retry-after"] == "1"


async def test_an_unreachable_database_is_a_503_problem(clock: FrozenClock) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    unreachable = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/tierline", background_workers=False
    )
    application = create_app(unreachable, clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get(
                "/v1/api-keys", headers={"Authorization": "Bearer tl_" + "A" * 43}
            )
            ready = await http.get("/readyz")
    _assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"] == "5"
    assert ready.status_code == 503


async def test_an_event_with_the_database_unreachable_is_a_503_problem(
    clock: FrozenClock,
) -> None:
    unreachable = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/tierline", background_workers=False
    )
    application = create_app(unreachable, clock=clock)
    event = {"event_id": "e1", "customer_id": "c1", "type": "visit", "occurred_at": T0.isoformat()}
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/v1/events", json=event, headers={"Authorization": "Bearer tl_" + "A" * 43}
            )
    _assert_problem(response, 503, "database-unavailable")
