"""``Idempotency-Key`` on the routes that create something: a retry gets the first answer
and creates nothing; the key with another request, or while the first is in flight, is a 409;
no secret is kept; keys are per workspace; records go after 24 hours and with their workspace."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.auth import purge as workspace_purge
from app.auth.purge import TENANT_TABLES, purge_due
from app.clock import FrozenClock
from app.db.tables import idempotency_keys
from app.idempotency.service import purge_expired
from app.settings import Settings
from tests.auth.test_purge import RETENTION
from tests.auth.test_workspace_deletion import delete
from tests.clv.test_summaries import post as post_events
from tests.conftest import T0, bearer
from tests.jobs.conftest import default_workspace, new_workspace
from tests.webhooks.test_endpoints import URL, allow_loopback

REPLAYED = "Idempotent-Replayed"
ENDPOINTS = "/v1/webhooks/endpoints"


def keyed(api_key: str, idempotency_key: str) -> dict[str, str]:
    return {**bearer(api_key), "Idempotency-Key": idempotency_key}


async def scalar(app: Any, sql: str, **params: Any) -> Any:
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def state(app: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with app.state.engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]


def problem_type(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    found: str = response.json()["type"]
    return found


# --- every route that creates something ----------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A creating request, what it needs first, and a query whose answer it changes."""

    name: str
    prepare: Callable[[Any, httpx.AsyncClient, str], Awaitable[dict[str, str]]]
    path: str
    body: dict[str, Any] | None
    changed: str
    secrets: tuple[tuple[str, ...], ...] = ()


async def nothing(app: Any, client: httpx.AsyncClient, key: str) -> dict[str, str]:
    return {}


async def an_endpoint(app: Any, client: httpx.AsyncClient, key: str) -> dict[str, str]:
    created = await client.post(ENDPOINTS, json={"url": URL}, headers=bearer(key))
    assert created.status_code == 201, created.text
    return {"endpoint": created.json()["id"]}


async def a_message(app: Any, client: httpx.AsyncClient, key: str) -> dict[str, str]:
    found = await an_endpoint(app, client, key)
    ping = await client.post(f"{ENDPOINTS}/{found['endpoint']}/test", headers=bearer(key))
    assert ping.status_code == 202, ping.text
    return {**found, "message": ping.json()["message_id"]}


async def a_failed_delivery(app: Any, client: httpx.AsyncClient, key: str) -> dict[str, str]:
    found = await a_message(app, client, key)
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE webhook_deliveries SET status = 'failed'"))
    return found


async def repeat_buyers(app: Any, client: httpx.AsyncClient, key: str) -> dict[str, str]:
    """Thirty customers with a second order on another day: enough for a CLV fit."""
    events = [
        (f"c{n}", "order", "10.00", T0 - timedelta(days=days))
        for n in range(30)
        for days in (40, 20)
    ]
    await post_events(client, key, events)
    return {}


ROUTES = [
    Route(
        "api key",
        nothing,
        "/v1/api-keys",
        {"name": "crm", "scopes": ["events:write"]},
        "SELECT count(*) FROM api_keys",
        secrets=(("key",),),
    ),
    Route(
        "workspace",
        nothing,
        "/v1/workspaces",
        {"slug": "acme", "name": "Acme"},
        "SELECT count(*) FROM workspaces",
        secrets=(("admin_key", "key"),),
    ),
    Route(
        "webhook endpoint",
        nothing,
        ENDPOINTS,
        {"url": URL, "event_types": ["customer.tier_changed"]},
        "SELECT count(*) FROM webhook_endpoints",
        secrets=(("secret",),),
    ),
    Route(
        "secret rotation",
        an_endpoint,
        ENDPOINTS + "/{endpoint}/rotate-secret",
        None,
        "SELECT secret FROM webhook_endpoints",
        secrets=(("secret",),),
    ),
    Route(
        "ping",
        an_endpoint,
        ENDPOINTS + "/{endpoint}/test",
        None,
        "SELECT count(*) FROM webhook_messages",
    ),
    Route(
        "message replay",
        a_message,
        "/v1/webhooks/messages/{message}/replay",
        None,
        "SELECT status, next_attempt_at FROM webhook_deliveries",
    ),
    Route(
        "endpoint recovery",
        a_failed_delivery,
        ENDPOINTS + "/{endpoint}/recover?since=2026-11-20T00:00:00Z",
        None,
        "SELECT status, next_attempt_at FROM webhook_deliveries",
    ),
    Route(
        "template install",
        nothing,
        "/v1/schemes/templates/value",
        {},
        "SELECT count(*) FROM scheme_versions",
    ),
    Route(
        "clv fit",
        repeat_buyers,
        "/v1/models/clv/fit",
        {},
        "SELECT count(*) FROM jobs WHERE kind = 'clv_fit'",
    ),
]


def with_secrets_withheld(body: dict[str, Any], secrets: tuple[tuple[str, ...], ...]) -> Any:
    """``body`` as its replay shows it: each secret null, with ``secret_shown_once``."""
    result: dict[str, Any] = {**body}
    for path in secrets:
        holder = result
        for name in path[:-1]:
            holder[name] = {**holder[name]}
            holder = holder[name]
        assert isinstance(holder[path[-1]], str) and holder["secret_shown_once"] is False
        holder[path[-1]] = None
        holder["secret_shown_once"] = True
    return result


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
async def test_a_retry_gets_the_first_answer_again_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, route: Route
) -> None:
    allow_loopback(app)
    path = route.path.format(**await route.prepare(app, client, admin_key))
    before = await state(app, route.changed)

    async def send() -> httpx.Response:
        # Time moves between tries: a request done again would leave another trace.
        clock.advance(timedelta(minutes=1))
        return await client.post(path, json=route.body, headers=keyed(admin_key, "retry-1"))

    first = await send()
    assert first.status_code in (200, 201, 202), first.text
    assert REPLAYED not in first.headers
    after_first = await state(app, route.changed)
    assert after_first != before

    again = await send()
    assert again.status_code == first.status_code
    assert again.headers[REPLAYED] == "true"
    assert again.json() == with_secrets_withheld(first.json(), route.secrets)
    assert await state(app, route.changed) == after_first

    # Without the key, the same request is done again.
    clock.advance(timedelta(minutes=1))
    if route.name == "workspace":
        route_body: dict[str, Any] | None = {"slug": "acme-2", "name": "Acme"}
    else:
        route_body = route.body
    if route.name == "endpoint recovery":
        async with app.state.engine.begin() as conn:
            await conn.execute(text("UPDATE webhook_deliveries SET status = 'failed'"))
    unkeyed = await client.post(path, json=route_body, headers=bearer(admin_key))
    assert unkeyed.status_code < 300, unkeyed.text
    assert await state(app, route.changed) != after_first


async def test_the_same_json_spaced_or_ordered_otherwise_is_the_same_request(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    first = await client.post(
        ENDPOINTS,
        content=b'{"url": "' + URL.encode() + b'", "description": "crm"}',
        headers={**keyed(admin_key, "k"), "Content-Type": "application/json"},
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        ENDPOINTS,
        content=b'{ "description":"crm",\n "url":"' + URL.encode() + b'" }',
        headers={**keyed(admin_key, "k"), "Content-Type": "application/json"},
    )
    assert again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert await scalar(app, "SELECT count(*) FROM webhook_endpoints") == 1


# --- the key with another request ----------------------------------------------------------


async def test_the_key_with_another_body_or_route_is_refused(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    first = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "k"))
    assert first.status_code == 201, first.text

    other_body = await client.post(
        ENDPOINTS, json={"url": URL, "description": "other"}, headers=keyed(admin_key, "k")
    )
    other_route = await client.post(
        "/v1/api-keys",
        json={"name": "crm", "scopes": ["events:write"]},
        headers=keyed(admin_key, "k"),
    )
    other_query = await client.post(
        f"{ENDPOINTS}/{first.json()['id']}/recover?since=2026-11-20T00:00:00Z",
        headers=keyed(admin_key, "recover"),
    )
    assert other_query.status_code == 202, other_query.text
    other_since = await client.post(
        f"{ENDPOINTS}/{first.json()['id']}/recover?since=2026-11-19T00:00:00Z",
        headers=keyed(admin_key, "recover"),
    )

    for refused in (other_body, other_route, other_since):
        assert refused.status_code == 409, refused.text
        assert problem_type(refused) == "urn:tierline:problem:idempotency-key-reused"
        assert REPLAYED not in refused.headers
    assert await scalar(app, "SELECT count(*) FROM webhook_endpoints") == 1
    assert await scalar(app, "SELECT count(*) FROM api_keys") == 1  # the admin key only


async def test_a_request_that_fails_keeps_nothing_and_its_key_may_be_sent_again(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    """The claim is undone with the request: a 422 found after it leaves no record."""
    allow_loopback(app)
    unknown_scheme = {"url": URL, "filter": {"schemes": ["nope"]}}
    refused = await client.post(ENDPOINTS, json=unknown_scheme, headers=keyed(admin_key, "k"))
    assert refused.status_code == 422, refused.text
    assert await scalar(app, "SELECT count(*) FROM idempotency_keys") == 0

    created = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "k"))
    assert created.status_code == 201, created.text
    assert REPLAYED not in created.headers


async def test_a_replay_is_given_only_to_a_key_allowed_the_request(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: Any
) -> None:
    body = {"name": "crm", "scopes": ["events:write"]}
    created = await client.post("/v1/api-keys", json=body, headers=keyed(admin_key, "k"))
    assert created.status_code == 201, created.text
    manager = await make_key("webhooks:manage")

    refused = await client.post("/v1/api-keys", json=body, headers=keyed(manager, "k"))
    assert refused.status_code == 403, refused.text
    assert REPLAYED not in refused.headers


# --- a key in flight -----------------------------------------------------------------------


async def test_the_key_of_a_request_in_flight_is_refused_until_it_ends(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    """The first request holds its transaction open, blocked on the workspace row a test
    connection holds; the second, with the same key, is refused at once, not made to wait."""
    allow_loopback(app)
    body = {"url": URL, "description": "first"}
    async with app.state.engine.connect() as holder:
        await holder.execute(text("SELECT 1 FROM workspaces FOR NO KEY UPDATE"))
        first = asyncio.create_task(
            client.post(ENDPOINTS, json=body, headers=keyed(admin_key, "k"))
        )
        await _until_a_request_waits_for_a_lock(app, first)

        in_use = await asyncio.wait_for(
            client.post(ENDPOINTS, json=body, headers=keyed(admin_key, "k")), timeout=5
        )
        other_body = await asyncio.wait_for(
            client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "k")), timeout=5
        )
        assert not first.done()
        await holder.rollback()
    created = await asyncio.wait_for(first, timeout=10)

    for refused in (in_use, other_body):
        assert refused.status_code == 409, refused.text
        assert problem_type(refused) == "urn:tierline:problem:idempotency-key-in-use"
        assert refused.headers["Retry-After"] == "1"
    assert created.status_code == 201, created.text
    assert REPLAYED not in created.headers

    after = await client.post(ENDPOINTS, json=body, headers=keyed(admin_key, "k"))
    assert after.status_code == 201, after.text
    assert after.headers[REPLAYED] == "true"
    assert after.json()["id"] == created.json()["id"]
    assert await scalar(app, "SELECT count(*) FROM webhook_endpoints") == 1


async def _until_a_request_waits_for_a_lock(app: Any, request: asyncio.Task[Any]) -> None:
    for _ in range(500):
        # A connection of its own each time: a transaction sees one snapshot of the activity.
        # Active, not waiting for a lock: on Citus the coordinator waits for the node that does.
        waiting = await scalar(
            app,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND query LIKE 'UPDATE workspaces%'",
        )
        if waiting:
            return
        assert not request.done(), request.result().text
        await asyncio.sleep(0.01)
    raise AssertionError("the first request never reached the workspace row")


# --- secrets -------------------------------------------------------------------------------

FULL_KEY = re.compile(r"tl_[A-Za-z0-9_-]{20,}")


async def test_no_secret_is_kept_in_the_records(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    api_key = await client.post(
        "/v1/api-keys",
        json={"name": "crm", "scopes": ["events:write"]},
        headers=keyed(admin_key, "key"),
    )
    workspace = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=keyed(admin_key, "ws")
    )
    endpoint = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "hook"))
    rotated = await client.post(
        f"{ENDPOINTS}/{endpoint.json()['id']}/rotate-secret", headers=keyed(admin_key, "rotate")
    )
    secrets = [
        api_key.json()["key"],
        workspace.json()["admin_key"]["key"],
        endpoint.json()["secret"],
        rotated.json()["secret"],
    ]
    assert all(isinstance(secret, str) and len(secret) > 30 for secret in secrets)

    dump = await state(app, "SELECT t::text FROM idempotency_keys t")
    assert len(dump) == 4
    text_of_every_row = "\n".join(row[0] for row in dump)
    for secret in secrets:
        random_part = secret.split("_", 1)[1]
        assert random_part not in text_of_every_row
    assert "whsec_" not in text_of_every_row
    assert FULL_KEY.search(text_of_every_row) is None
    kept = [row[0] for row in await state(app, "SELECT response FROM idempotency_keys")]
    assert sorted(str(answer.get("secret_shown_once")) for answer in kept) == [
        "None",  # the workspace: its admin key's
        "True",
        "True",
        "True",
    ]


# --- workspaces ----------------------------------------------------------------------------


async def test_the_same_key_in_two_workspaces_is_two_requests(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    other_id, other_key = await new_workspace(client, admin_key, "acme")
    mine = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "k"))
    theirs = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(other_key, "k"))
    another_body = await client.post(
        "/v1/api-keys",
        json={"name": "crm", "scopes": ["events:write"]},
        headers=keyed(other_key, "also-mine"),
    )
    for response in (mine, theirs, another_body):
        assert response.status_code == 201, response.text
        assert REPLAYED not in response.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert isinstance(theirs.json()["secret"], str)
    per_workspace = await state(
        app, "SELECT workspace_id, count(*) FROM webhook_endpoints GROUP BY 1 ORDER BY 2"
    )
    assert [count for _, count in per_workspace] == [1, 1]
    assert other_id in {workspace for workspace, _ in per_workspace}

    # The key "also-mine" is the other workspace's; here it is new.
    here = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "also-mine"))
    assert here.status_code == 201, here.text
    assert REPLAYED not in here.headers


async def test_a_new_workspace_is_keyed_in_the_callers_workspace(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    body = {"slug": "acme", "name": "Acme"}
    created = await client.post("/v1/workspaces", json=body, headers=keyed(admin_key, "k"))
    again = await client.post("/v1/workspaces", json=body, headers=keyed(admin_key, "k"))
    assert created.status_code == again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.json()["workspace"] == created.json()["workspace"]
    owner = await scalar(app, "SELECT DISTINCT workspace_id FROM idempotency_keys")
    assert owner == await scalar(app, "SELECT id FROM workspaces WHERE slug = 'default'")


# --- the key itself ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "k" * 256, "clé", "tab\there"], ids=repr)
async def test_a_malformed_key_is_refused_and_nothing_is_created(
    app: Any, client: httpx.AsyncClient, admin_key: str, key: str
) -> None:
    allow_loopback(app)
    headers = [
        (b"Authorization", f"Bearer {admin_key}".encode()),
        (b"Idempotency-Key", key.encode()),
    ]
    response = await client.post(ENDPOINTS, json={"url": URL}, headers=headers)
    assert response.status_code == 422, response.text
    assert problem_type(response) == "urn:tierline:problem:validation-error"
    assert [error["field"] for error in response.json()["errors"]] == ["Idempotency-Key"]
    assert await scalar(app, "SELECT count(*) FROM webhook_endpoints") == 0


async def test_any_printable_ascii_up_to_255_characters_is_a_key(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    printable = "".join(chr(c) for c in range(0x21, 0x7F))
    key = (printable * 3)[:255]
    first = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, key))
    again = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, key))
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers[REPLAYED] == "true"
    assert await scalar(app, "SELECT key FROM idempotency_keys") == key


# --- how long a key is kept ----------------------------------------------------------------


async def test_a_key_is_kept_24_hours_then_forgotten_and_purged(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, settings: Settings
) -> None:
    allow_loopback(app)

    async def create(key: str) -> httpx.Response:
        response = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, key))
        assert response.status_code == 201, response.text
        return response

    first = await create("one")
    await create("two")

    clock.advance(timedelta(hours=24) - timedelta(minutes=1))
    assert await purge_expired(app.state.engine, clock.now()) == 0
    again = await create("one")
    assert again.headers[REPLAYED] == "true"
    assert again.json()["id"] == first.json()["id"]

    clock.advance(timedelta(minutes=2))
    # Past 24 hours the key is forgotten, purged or not: the request is done again.
    redone = await create("two")
    assert REPLAYED not in redone.headers
    assert await scalar(app, "SELECT count(*) FROM webhook_endpoints") == 3

    # The background purge deletes the record of "one", and keeps "two", claimed again.
    stop = asyncio.Event()
    purging = asyncio.create_task(workspace_purge.work(app.state.engine, clock, settings, stop))
    for _ in range(500):
        if await scalar(app, "SELECT count(*) FROM idempotency_keys") == 1:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(purging, timeout=10)
    assert await state(app, "SELECT key FROM idempotency_keys") == [("two",)]
    assert (await create("one")).headers.get(REPLAYED) is None


async def test_the_records_go_with_their_workspace(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    assert idempotency_keys in TENANT_TABLES
    gone_id, gone_key = await new_workspace(client, admin_key, "gone")
    for key in ("a", "b"):
        response = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(gone_key, key))
        assert response.status_code == 201, response.text
    kept = await client.post(ENDPOINTS, json={"url": URL}, headers=keyed(admin_key, "a"))
    assert kept.status_code == 201, kept.text

    await delete(client, admin_key, gone_id)
    clock.advance(RETENTION + timedelta(minutes=1))
    # The workspaces' purge alone: the other workspace's record, expired as it is, stays for
    # the expiry purge.
    assert await purge_due(app.state.engine, clock, RETENTION) == [gone_id]
    rows = await state(app, "SELECT workspace_id, key FROM idempotency_keys")
    assert rows == [(await default_workspace(app), "a")]
