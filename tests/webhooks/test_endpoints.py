"""Webhook endpoints over HTTP: subscription, secrets shown once and rotated, changes, deletion,
scopes, tenancy, and every way a bad subscription is refused.

No delivery happens here (the app runs without background workers): URLs are loopback IP
literals that nothing needs to listen on."""

from __future__ import annotations

import base64
import ipaddress
from datetime import timedelta
from typing import Any, get_args
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.webhooks import EVENT_TYPES, outbox
from app.webhooks.schemas import EventType
from tests.conftest import T0, KeyFactory, bearer, unsealed
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.tiers.test_tier_lifecycle import VALUE, iso, order, put_scheme

URL = "http://127.0.0.1:9/hook"
LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def allow_loopback(app: Any) -> None:
    """The operator's allow list admits loopback, as a local receiver would need."""
    app.state.settings = app.state.settings.model_copy(
        update={"webhook_allowed_networks": LOOPBACK}
    )


async def create_endpoint(client: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    body = {"url": URL, "event_types": ["customer.tier_changed"], **fields}
    response = await client.post("/v1/webhooks/endpoints", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def stored(app: Any, endpoint_id: str) -> Any:
    async with app.state.engine.connect() as conn:
        result = await conn.execute(
            text("SELECT * FROM webhook_endpoints WHERE id = :id"), {"id": UUID(endpoint_id)}
        )
        return result.one()


def test_the_api_accepts_exactly_the_event_types_the_outbox_knows() -> None:
    assert get_args(EventType) == EVENT_TYPES


async def test_an_endpoint_is_created_and_its_secret_is_shown_only_then(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    created = await create_endpoint(
        client,
        admin_key,
        description="CRM sync",
        event_types=["customer.tier_changed", "customer.deleted"],
    )
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 24
    assert {k: v for k, v in created.items() if k not in ("id", "secret")} == {
        "url": URL,
        "description": "CRM sync",
        "event_types": ["customer.tier_changed", "customer.deleted"],
        "filter": None,
        "enabled": True,
        "disabled_reason": None,
        "disabled_at": None,
        "failing_since": None,
        "created_at": iso(T0),
        "updated_at": iso(T0),
        "secret_shown_once": False,
    }
    assert unsealed((await stored(app, created["id"])).secret) == created["secret"]

    shown = await client.get(f"/v1/webhooks/endpoints/{created['id']}", headers=bearer(admin_key))
    assert shown.status_code == 200
    assert shown.json() == {
        k: v for k, v in created.items() if k not in ("secret", "secret_shown_once")
    }
    listed = await client.get("/v1/webhooks/endpoints", headers=bearer(admin_key))
    assert listed.json() == {"items": [shown.json()], "next_cursor": None}


async def _delivered_types(app: Any, endpoint_id: str) -> set[str]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT m.type FROM webhook_deliveries d JOIN webhook_messages m "
                "ON m.workspace_id = d.workspace_id AND m.id = d.message_id "
                "WHERE d.endpoint_id = :ep"
            ),
            {"ep": UUID(endpoint_id)},
        )
        return {row.type for row in rows}


async def test_an_endpoint_without_event_types_receives_every_type_even_later_ones(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    every = await client.post(ENDPOINTS, json={"url": URL}, headers=bearer(admin_key))
    assert every.status_code == 201, every.text
    assert every.json()["event_types"] is None
    only = await create_endpoint(client, admin_key, event_types=["customer.deleted"])
    await put_scheme(client, admin_key, VALUE)
    await put_segment(client, admin_key, BIG_SPENDERS)
    await order(client, admin_key, "o1", "9000.00", clock.now(), customer_id="crm-1")
    assert await _delivered_types(app, every.json()["id"]) == {
        "customer.tier_changed",
        "customer.segment_entered",
    }
    assert await _delivered_types(app, only["id"]) == set()
    # Erasure drops the customer's messages, and says so to both.
    erased = await client.delete("/v1/customers/crm-1", headers=bearer(admin_key))
    assert erased.status_code == 200, erased.text
    assert await _delivered_types(app, every.json()["id"]) == {"customer.deleted"}
    assert await _delivered_types(app, only["id"]) == {"customer.deleted"}
    # Types that do not exist yet are routed to it as well.
    async with app.state.engine.connect() as conn:
        workspace_id = (await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()
        routes = await outbox.routes(conn, workspace_id)
    assert routes.for_type("customer.some_type_added_later") == [UUID(every.json()["id"])]

    # A filter applies to an endpoint that takes every type; null brings every type back.
    path = f"{ENDPOINTS}/{only['id']}"
    narrowed = await client.patch(
        path, json={"event_types": None, "filter": {"tiers": ["vip"]}}, headers=bearer(admin_key)
    )
    assert narrowed.status_code == 200, narrowed.text
    assert (narrowed.json()["event_types"], narrowed.json()["filter"]["tiers"]) == (None, ["vip"])


async def test_a_second_endpoint_gets_its_own_secret_and_can_start_disabled(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    first = await create_endpoint(client, admin_key)
    second = await create_endpoint(client, admin_key, enabled=False)
    assert first["secret"] != second["secret"]
    assert (second["enabled"], second["disabled_reason"], second["disabled_at"]) == (
        False,
        "disabled through the API",
        iso(T0),
    )


async def test_endpoints_are_listed_oldest_first_a_page_at_a_time(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    ids = []
    for i in range(3):
        ids.append((await create_endpoint(client, admin_key, description=f"n{i}"))["id"])
        clock.advance(timedelta(seconds=1))
    seen: list[str] = []
    cursor = None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await client.get(f"/v1/webhooks/endpoints?{query}", headers=bearer(admin_key))
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    bad = await client.get("/v1/webhooks/endpoints?cursor=nope", headers=bearer(admin_key))
    assert bad.status_code == 400
    assert bad.json()["type"] == "urn:tierline:problem:invalid-cursor"


async def test_patch_changes_only_the_fields_sent(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    await put_scheme(client, admin_key, VALUE)
    created = await create_endpoint(
        client, admin_key, description="CRM", filter={"schemes": ["value"], "direction": "up"}
    )
    path = f"/v1/webhooks/endpoints/{created['id']}"
    assert created["filter"] == {
        "schemes": ["value"],
        "tiers": None,
        "segments": None,
        "direction": "up",
    }
    clock.advance(timedelta(minutes=5))

    changed = await client.patch(
        path,
        json={"url": "http://127.0.0.2:9/v2", "description": None},
        headers=bearer(admin_key),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["url"], body["description"], body["filter"]) == (
        "http://127.0.0.2:9/v2",
        None,
        created["filter"],
    )
    assert (body["created_at"], body["updated_at"]) == (iso(T0), iso(clock.now()))
    assert "secret" not in body

    widened = await client.patch(
        path,
        json={"event_types": ["customer.tier_changed", "customer.segment_entered"], "filter": None},
        headers=bearer(admin_key),
    )
    assert widened.status_code == 200, widened.text
    assert widened.json()["filter"] is None
    assert (await stored(app, created["id"])).filter is None  # SQL NULL, not JSON null
    assert widened.json()["event_types"] == ["customer.tier_changed", "customer.segment_entered"]
    assert (await client.get(path, headers=bearer(admin_key))).json() == widened.json()

    refused = await client.patch(path, json={"url": "http://10.0.0.1/"}, headers=bearer(admin_key))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"
    assert (await client.get(path, headers=bearer(admin_key))).json()["url"] == body["url"]


async def test_disabling_and_re_enabling_an_endpoint(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    path = f"/v1/webhooks/endpoints/{created['id']}"
    disabled = (await client.patch(path, json={"enabled": False}, headers=bearer(admin_key))).json()
    assert (disabled["enabled"], disabled["disabled_reason"], disabled["disabled_at"]) == (
        False,
        "disabled through the API",
        iso(T0),
    )
    # As the delivery worker leaves an endpoint that failed for days.
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE webhook_endpoints SET disabled_reason = 'failing since', "
                "failing_since = :at WHERE id = :id"
            ),
            {"at": T0 - timedelta(days=5), "id": UUID(created["id"])},
        )
    clock.advance(timedelta(hours=1))
    enabled = (await client.patch(path, json={"enabled": True}, headers=bearer(admin_key))).json()
    assert (
        enabled["enabled"],
        enabled["disabled_reason"],
        enabled["disabled_at"],
        enabled["failing_since"],
    ) == (True, None, None, None)

    # Re-sending `enabled: true` to an enabled endpoint does not restart its failure clock.
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE webhook_endpoints SET failing_since = :at WHERE id = :id"),
            {"at": T0, "id": UUID(created["id"])},
        )
    again = (await client.patch(path, json={"enabled": True}, headers=bearer(admin_key))).json()
    assert again["failing_since"] == iso(T0)


async def test_rotation_returns_a_new_secret_and_keeps_the_old_one_for_a_day(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    clock.advance(timedelta(hours=3))
    rotated = await client.post(
        f"/v1/webhooks/endpoints/{created['id']}/rotate-secret", headers=bearer(admin_key)
    )
    assert rotated.status_code == 200, rotated.text
    secret = rotated.json()["secret"]
    assert secret.startswith("whsec_")
    assert secret != created["secret"]
    row = await stored(app, created["id"])
    assert (unsealed(row.secret), unsealed(row.previous_secret)) == (secret, created["secret"])
    assert row.previous_secret_expires_at == clock.now() + timedelta(hours=24)
    shown = await client.get(f"/v1/webhooks/endpoints/{created['id']}", headers=bearer(admin_key))
    assert "secret" not in shown.json()
    assert shown.json()["updated_at"] == iso(clock.now())


async def test_deleting_an_endpoint_drops_its_deliveries(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    path = f"/v1/webhooks/endpoints/{created['id']}"
    sent = await client.post(f"{path}/test", headers=bearer(admin_key))
    assert sent.status_code == 202
    deleted = await client.delete(path, headers=bearer(admin_key))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(path, headers=bearer(admin_key))).status_code == 404
    assert (await client.delete(path, headers=bearer(admin_key))).status_code == 404
    async with app.state.engine.connect() as conn:
        left = await conn.execute(text("SELECT count(*) FROM webhook_deliveries"))
        assert left.scalar_one() == 0
    message = await client.get(
        f"/v1/webhooks/messages/{sent.json()['message_id']}", headers=bearer(admin_key)
    )
    assert message.json()["deliveries"] == []


async def test_a_filter_names_schemes_and_segments_of_the_workspace_archived_or_not(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    await put_scheme(client, admin_key, VALUE)
    await put_segment(client, admin_key, BIG_SPENDERS)
    assert (await client.delete("/v1/segments/big", headers=bearer(admin_key))).status_code == 204
    created = await create_endpoint(
        client,
        admin_key,
        event_types=["customer.tier_changed", "customer.segment_entered"],
        filter={"schemes": ["value"], "tiers": ["vip"], "segments": ["big"]},
    )
    assert created["filter"] == {
        "schemes": ["value"],
        "tiers": ["vip"],
        "segments": ["big"],
        "direction": "any",
    }
    refused = await client.post(
        "/v1/webhooks/endpoints",
        json={
            "url": URL,
            "event_types": ["customer.tier_changed", "customer.segment_exited"],
            "filter": {"schemes": ["value", "gold", "silver"], "segments": ["big", "small"]},
        },
        headers=bearer(admin_key),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "filter.schemes",
            "message": "no scheme 'gold', 'silver' in this workspace",
            "code": "unknown_scheme",
        },
        {
            "field": "filter.segments",
            "message": "no segment 'small' in this workspace",
            "code": "unknown_segment",
        },
    ]


async def test_a_filter_part_must_apply_to_a_listed_event_type(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key, filter={"direction": "down"})
    path = f"/v1/webhooks/endpoints/{created['id']}"
    # Dropping the type the filter reads, without dropping the filter, is refused...
    narrowed = await client.patch(
        path, json={"event_types": ["customer.deleted"]}, headers=bearer(admin_key)
    )
    assert narrowed.status_code == 422
    assert narrowed.json()["errors"] == [
        {
            "field": "filter.direction",
            "message": "applies only to customer.tier_changed, which event_types does not list",
            "code": "not_applicable",
        }
    ]
    # ...and accepted with it.
    both = await client.patch(
        path, json={"event_types": ["customer.deleted"], "filter": None}, headers=bearer(admin_key)
    )
    assert both.status_code == 200, both.text


async def test_every_route_needs_the_webhooks_manage_scope(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    other = await make_key("segments:read", "segments:write", "customers:read")
    manager = await make_key("webhooks:manage")
    path = f"/v1/webhooks/endpoints/{created['id']}"
    message_path = f"/v1/webhooks/messages/{created['id']}"
    calls = [
        ("POST", "/v1/webhooks/endpoints", {"url": URL, "event_types": ["ping"]}),
        ("GET", "/v1/webhooks/endpoints", None),
        ("GET", path, None),
        ("PATCH", path, {"description": "x"}),
        ("POST", f"{path}/rotate-secret", None),
        ("POST", f"{path}/test", None),
        ("POST", f"{path}/recover?since=2026-11-01T00:00:00Z", None),
        ("GET", "/v1/webhooks/messages", None),
        ("GET", message_path, None),
        ("GET", f"{message_path}/attempts", None),
        ("POST", f"{message_path}/replay", None),
        ("DELETE", path, None),
    ]
    for method, url, body in calls:
        refused = await client.request(method, url, json=body, headers=bearer(other))
        assert refused.status_code == 403, (method, url, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        allowed = await client.request(method, url, json=body, headers=bearer(manager))
        assert allowed.status_code in (200, 201, 202, 204, 404), (method, url, allowed.text)


async def test_another_workspace_sees_none_of_the_endpoints(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    workspace = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    assert workspace.status_code == 201, workspace.text
    acme = workspace.json()["admin_key"]["key"]
    listed = await client.get("/v1/webhooks/endpoints", headers=bearer(acme))
    assert listed.json() == {"items": [], "next_cursor": None}
    path = f"/v1/webhooks/endpoints/{created['id']}"
    for method, url in [
        ("GET", path),
        ("PATCH", path),
        ("POST", f"{path}/rotate-secret"),
        ("POST", f"{path}/test"),
        ("POST", f"{path}/recover?since=2026-11-01T00:00:00Z"),
        ("DELETE", path),
    ]:
        response = await client.request(method, url, json={}, headers=bearer(acme))
        assert response.status_code == 404, (method, url, response.text)
    assert (await client.get(path, headers=bearer(admin_key))).status_code == 200
    assert unsealed((await stored(app, created["id"])).secret) == created["secret"]


ENDPOINTS = "/v1/webhooks/endpoints"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _create(url: str = URL, **fields: Any) -> dict[str, Any]:
    return {"url": url, "event_types": ["customer.tier_changed"], **fields}


BAD_INPUT = [
    # (case, allow loopback, method, path, body, status, field, words in the problem)
    ("ftp URL", True, "POST", ENDPOINTS, _create("ftp://127.0.0.1/hook"), 422, "url", "http://"),
    (
        "credentials",
        True,
        "POST",
        ENDPOINTS,
        _create("http://user:pass@127.0.0.1/hook"),
        422,
        "url",
        "credentials",
    ),
    ("no host", True, "POST", ENDPOINTS, _create("http:///hook"), 422, "url", "no host"),
    ("private", True, "POST", ENDPOINTS, _create("http://10.0.0.1/"), 422, "url", "private"),
    (
        "metadata service",
        True,
        "POST",
        ENDPOINTS,
        _create("http://169.254.169.254/latest/meta-data"),
        422,
        "url",
        "link-local",
    ),
    ("loopback, no allow list", False, "POST", ENDPOINTS, _create(), 422, "url", "loopback"),
    ("IPv6 loopback", True, "POST", ENDPOINTS, _create("http://[::1]:9/"), 422, "url", "loopback"),
    (
        "unknown event type",
        True,
        "POST",
        ENDPOINTS,
        _create(event_types=["customer.created"]),
        422,
        "event_types.0",
        "customer.tier_changed",
    ),
    (
        "no event types",
        True,
        "POST",
        ENDPOINTS,
        _create(event_types=[]),
        422,
        "event_types",
        "at least 1",
    ),
    (
        "repeated event type",
        True,
        "POST",
        ENDPOINTS,
        _create(event_types=["ping", "ping"]),
        422,
        "event_types",
        "more than once: ping",
    ),
    (
        "unknown filter scheme",
        True,
        "POST",
        ENDPOINTS,
        _create(filter={"schemes": ["gold"]}),
        422,
        "filter.schemes",
        "no scheme 'gold'",
    ),
    (
        "bad direction",
        True,
        "POST",
        ENDPOINTS,
        _create(filter={"direction": "sideways"}),
        422,
        "filter.direction",
        "'up', 'down' or 'any'",
    ),
    (
        "unknown filter field",
        True,
        "POST",
        ENDPOINTS,
        _create(filter={"customers": ["a"]}),
        422,
        "filter.customers",
        "not permitted",
    ),
    (
        "filter without its event type",
        True,
        "POST",
        ENDPOINTS,
        _create(event_types=["customer.tier_changed"], filter={"segments": ["big"]}),
        422,
        "filter.segments",
        "applies only to customer.segment_entered",
    ),
    ("null url", True, "PATCH", "{endpoint}", {"url": None}, 422, "url", "not null"),
    (
        "since in the future",
        True,
        "POST",
        "{endpoint}/recover?since=2026-11-21T00:00:00Z",
        None,
        422,
        "since",
        "in the future",
    ),
    (
        "since without a timezone",
        True,
        "POST",
        "{endpoint}/recover?since=2026-11-19T00:00:00",
        None,
        422,
        "since",
        "timezone",
    ),
    ("since missing", True, "POST", "{endpoint}/recover", None, 422, "since", "required"),
    ("unknown endpoint", True, "GET", f"{ENDPOINTS}/{UNKNOWN}", None, 404, None, UNKNOWN),
    (
        "unknown endpoint, test",
        True,
        "POST",
        f"{ENDPOINTS}/{UNKNOWN}/test",
        None,
        404,
        None,
        UNKNOWN,
    ),
    (
        "unknown endpoint, patch",
        True,
        "PATCH",
        f"{ENDPOINTS}/{UNKNOWN}",
        {"description": "x"},
        404,
        None,
        UNKNOWN,
    ),
    ("malformed id", True, "GET", f"{ENDPOINTS}/not-a-uuid", None, 422, "endpoint_id", "UUID"),
]


@pytest.mark.parametrize(
    ("allow", "method", "path", "body", "status", "field", "words"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
async def test_bad_input_is_refused_with_a_problem_naming_it(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    allow: bool,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    field: str | None,
    words: str,
) -> None:
    allow_loopback(app)
    existing = await create_endpoint(client, admin_key)
    if not allow:
        app.state.settings = app.state.settings.model_copy(update={"webhook_allowed_networks": []})
    path = path.replace("{endpoint}", f"{ENDPOINTS}/{existing['id']}")
    response = await client.request(method, path, json=body, headers=bearer(admin_key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if field is None:
        assert words in problem["detail"]
    else:
        messages = [error["message"] for error in problem["errors"] if error["field"] == field]
        assert any(words in message for message in messages), problem
    async with app.state.engine.connect() as conn:
        count = await conn.execute(text("SELECT count(*) FROM webhook_endpoints"))
        assert count.scalar_one() == 1  # nothing was created
