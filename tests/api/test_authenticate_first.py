"""The API key is checked before a byte of the body is read (issue 22)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import event
from starlette.types import Message

from app.auth.keys import generate_key
from app.auth.service import UNKNOWN_KEY
from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.asgi import post_scope
from tests.conftest import bearer

TEN_MIB = 10 * 1024 * 1024


async def _call_without_reading(
    app: Any, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes, int]:
    """Sends a request that announces a 10 MiB body, straight to the ASGI app; the status,
    headers and body of the answer, and how many times the app asked for the body."""
    asked = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": b"[" + b" " * (TEN_MIB - 2) + b"]"}

    async def send(message: Message) -> None:
        sent.append(message)

    raw_headers = [(b"content-length", str(TEN_MIB).encode())]
    raw_headers += [(b"content-type", b"application/json")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = post_scope(path, raw_headers)
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    answer_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], answer_headers, body, asked


async def test_a_batch_without_a_valid_key_is_refused_before_its_body_is_read(
    app: Any, admin_key: str
) -> None:
    refusals = {
        "Send an API key as 'Authorization: Bearer tl_...'.": {},
        "The Authorization header must be 'Bearer <key>'.": {"Authorization": "Basic abc"},
        UNKNOWN_KEY: bearer(generate_key()),
    }
    for detail, headers in refusals.items():
        status, answer_headers, body, asked = await _call_without_reading(
            app, "/v1/events/batch", headers
        )
        assert (status, asked) == (401, 0), detail
        # The problem the routes gave, and the connection closed rather than drained.
        assert httpx.Response(401, content=body).json() == {
            "type": "urn:tierline:problem:unauthorized",
            "title": "Missing or invalid API key",
            "status": 401,
            "detail": detail,
            "instance": "/v1/events/batch",
        }
        assert answer_headers["content-type"] == "application/problem+json"
        assert answer_headers["www-authenticate"] == "Bearer"
        assert answer_headers["connection"] == "close"

    # With a key the body is read (and found wanting).
    status, _, _, asked = await _call_without_reading(app, "/v1/events/batch", bearer(admin_key))
    assert (status, asked) == (422, 1)


async def test_every_v1_path_needs_a_key_before_it_is_routed(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    anonymous = await client.post("/v1/no-such-thing", json={})
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "urn:tierline:problem:unauthorized"
    known = await client.post("/v1/no-such-thing", json={}, headers=bearer(admin_key))
    assert known.status_code == 404
    assert (await client.get("/healthz")).status_code == 200


async def test_a_key_the_process_has_seen_is_checked_without_a_query(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    try:
        # BodyGuard refuses the content type: nothing past the key check touches the database.
        plain = {"Content-Type": "text/plain"} | bearer(admin_key)
        first = await client.post("/v1/events/batch", content=b"x", headers=plain)
        cold = len(statements)
        second = await client.post("/v1/events/batch", content=b"x", headers=plain)
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", count)
    assert first.status_code == second.status_code == 415
    assert cold > 0
    assert len(statements) == cold


async def test_a_key_revoked_in_another_process_is_refused_by_the_route(
    settings: Settings, clock: FrozenClock, client: httpx.AsyncClient, admin_key: str
) -> None:
    """The cache knows the key exists; the route confirms it is current."""
    created = await client.post(
        "/v1/api-keys", json={"name": "crm", "scopes": ["admin"]}, headers=bearer(admin_key)
    )
    key, key_id = created.json()["key"], created.json()["id"]
    event_body = {"event_id": "e1", "customer_id": "c1", "type": "visit"}
    event_body["occurred_at"] = clock.now().isoformat()
    assert (await client.post("/v1/events", json=event_body, headers=bearer(key))).is_success

    other = create_app(settings, clock=clock)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            revoked = await http.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin_key))
            assert revoked.status_code == 200, revoked.text

    for method, path, body in [
        ("POST", "/v1/events", event_body | {"event_id": "e2"}),
        ("POST", "/v1/events/batch", {"events": [event_body | {"event_id": "e3"}]}),
        ("GET", "/v1/customers/c1", None),
        ("POST", "/v1/customers/count", {"condition": {"all": []}}),
    ]:
        response = await client.request(method, path, json=body, headers=bearer(key))
        assert response.status_code == 401, (path, response.text)
        assert response.json()["detail"] == UNKNOWN_KEY
