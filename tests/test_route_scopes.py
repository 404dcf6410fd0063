"""Every route that takes a key refuses one without the scope the OpenAPI document states
for it, with a 403 naming that scope, before it does anything; and a key holding that one
scope alone gets past the check. The walk reads the live route table and the served
document, so a route added later is covered too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text

from app.auth.keys import Scope
from app.clock import FrozenClock
from app.db import tables
from app.jobs.service import run_until_idle
from tests.conftest import T0, KeyFactory, bearer
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.test_route_protection import _PARAM
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme

BODY_METHODS = {"POST", "PUT", "PATCH"}


def documented_scope(document: dict[str, Any], path: str, method: str) -> str:
    security = document["paths"][path][method.lower()]["security"]
    assert len(security) == 1 and len(security[0]["ApiKey"]) == 1, (method, path, security)
    scope: str = security[0]["ApiKey"][0]
    return scope


def example_body(document: dict[str, Any], path: str, method: str) -> Any:
    """The request body's first documented example: a request the route would carry out."""
    body = document["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return (schema.get("examples") or [{}])[0]


def keyed_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every documented route under ``/v1``."""
    for context in iter_route_contexts(app.routes):
        route = context.route
        if isinstance(route, APIRoute) and route.include_in_schema:
            path = str(context.path_format)
            if path.startswith("/v1/"):
                for method in sorted(context.methods or ()):
                    yield method, path


class Workspace:
    """The default workspace with one of everything a path can name: a customer with an
    event, a scheme, a metric, a segment and its job, a second key."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params

    def path(self, template: str) -> str:
        def value(match: Any) -> str:
            name = match[1]
            if name == "key":
                return "big" if template.startswith("/v1/segments/") else "value"
            if name == "name":
                return "visits_30d" if template.startswith("/v1/metrics/") else "value"
            return self.params.get(name) or str(uuid.uuid4())  # webhook endpoints, messages

        return _PARAM.sub(value, template)


@pytest.fixture
async def workspace(
    app: Any, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory, clock: FrozenClock
) -> Workspace:
    await put_scheme(client, admin_key, VALUE)
    await order(client, admin_key, "ord-1", "120.00", T0, "crm-42")
    metric = {"event_type": "visit", "aggregation": "count", "window_days": 30}
    defined = await client.put("/v1/metrics/visits_30d", json=metric, headers=bearer(admin_key))
    assert defined.status_code == 201, defined.text
    segment = await put_segment(client, admin_key, BIG_SPENDERS)
    await run_until_idle(app.state.engine, clock)
    keys = await client.get("/v1/api-keys", headers=bearer(admin_key))
    own = await client.get("/v1/workspace", headers=bearer(admin_key))
    return Workspace(
        {
            "customer_id": "crm-42",
            "scheme": "value",
            "version": "1",
            "job_id": segment["job_id"],
            "key_id": keys.json()["items"][0]["id"],
            "workspace_id": own.json()["id"],
        }
    )


async def database_digest(app: Any) -> dict[str, str]:
    """Each table's rows, digested: any insert, update or delete changes its digest."""
    digests = {}
    async with app.state.engine.connect() as conn:
        for name in sorted(tables.metadata.tables):
            rows = "coalesce(string_agg(t::text, '|' ORDER BY t::text), '')"
            sql = f"SELECT md5({rows}) FROM {name} t"
            digests[name] = (await conn.execute(text(sql))).scalar_one()
    return digests


def all_scopes_but(scope: str) -> list[str]:
    """Every scope the default workspace's keys can hold, but ``scope`` and what implies it."""
    return [
        s.value for s in Scope if s.value != scope and (s is not Scope.ADMIN or scope == "instance")
    ]


async def test_every_route_refuses_a_key_without_its_scope_before_doing_anything(
    app: Any, client: httpx.AsyncClient, make_key: KeyFactory, workspace: Workspace
) -> None:
    document = app.openapi()
    routes = list(keyed_routes(app))
    assert ("DELETE", "/v1/customers/{customer_id}") in routes and len(routes) > 60
    lacking = {scope.value: await make_key(*all_scopes_but(scope.value)) for scope in Scope}
    before = await database_digest(app)
    failures = []
    for method, template in routes:
        scope = documented_scope(document, template, method)
        body = example_body(document, template, method) if method in BODY_METHODS else None
        response = await client.request(
            method, workspace.path(template), json=body, headers=bearer(lacking[scope])
        )
        problem = response.json() if response.status_code == 403 else {}
        if (
            response.headers.get("content-type") != "application/problem+json"
            or problem.get("type") != "urn:tierline:problem:forbidden"
            or problem.get("required_scope") != scope
        ):
            failures.append(f"{method} {template}: {response.status_code} {response.text[:200]}")
        elif await database_digest(app) != before:
            failures.append(f"{method} {template}: refused, but wrote")
            before = await database_digest(app)
    assert failures == []


ALSO_NEEDED = {
    ("POST", "/v1/customers/search"): "customers:read",
    ("POST", "/v1/customers/count"): "customers:read",
    ("POST", "/v1/customers/export"): "customers:read",
}
"""The routes whose documented example needs a second scope: it reads traits (each route's
description says so)."""


async def test_the_documented_scope_gets_past_every_route_s_check(
    app: Any, client: httpx.AsyncClient, make_key: KeyFactory, workspace: Workspace
) -> None:
    document = app.openapi()
    holding = {scope.value: await make_key(scope.value) for scope in Scope}
    also_needed = {}
    failures = []
    for method, template in keyed_routes(app):
        scope = documented_scope(document, template, method)
        body = example_body(document, template, method) if method in BODY_METHODS else None
        path, key = workspace.path(template), holding[scope]
        response = await client.request(method, path, json=body, headers=bearer(key))
        other = response.json().get("required_scope") if response.status_code == 403 else None
        if other not in (None, scope):
            also_needed[method, template] = other
            key = await make_key(scope, other)
            response = await client.request(method, path, json=body, headers=bearer(key))
        if response.status_code in (401, 403):
            failures.append(f"{method} {template}: {response.status_code} {response.text[:200]}")
    assert failures == []
    assert also_needed == ALSO_NEEDED
