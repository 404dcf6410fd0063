"""Every route the app registers refuses a request without an API key, except the few that are
public by design. The walk reads the live route table, so routes added later are covered too."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from app.clock import FrozenClock
from app.console.router import PATHS as CONSOLE_PATHS
from app.main import create_app
from app.settings import Settings

PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc"}
PUBLIC_PATHS |= {"/openapi.json"}
# The read-only console's page and files: the page asks for a key and sends it to /v1.
PUBLIC_PATHS |= set(CONSOLE_PATHS)
DOCS_ASSETS_MOUNT = "/static-offline-docs"
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _path_param_annotations(dependant: Dependant) -> dict[str, Any]:
    """Path parameters declared by the endpoint or any of its dependencies."""
    found = {field.name: field.field_info.annotation for field in dependant.path_params}
    for sub in dependant.dependencies:
        found = _path_param_annotations(sub) | found
    return found


def _dummy_value(route: Any, name: str) -> str:
    """A value of the right kind for the path parameter ``name``: a UUID where one is expected."""
    annotation = None
    if isinstance(route, APIRoute):
        annotation = _path_param_annotations(route.dependant).get(name)
    if annotation is int:
        return "1"
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    return "dummy-1"


def _concrete_path(route: Any, template: str) -> str:
    return _PARAM.sub(lambda match: _dummy_value(route, match[1]), template)


def _requests(app: Any) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(method, template, concrete path) for every non-public route, and unknown mounts."""
    requests: list[tuple[str, str, str]] = []
    unknown_mounts: list[str] = []
    for context in iter_route_contexts(app.routes):
        path = str(context.path)
        if isinstance(context.original_route, Mount):
            if path != DOCS_ASSETS_MOUNT:
                unknown_mounts.append(path)
            continue
        if path in PUBLIC_PATHS:
            continue
        concrete = _concrete_path(context.original_route, path)
        for method in sorted(context.methods or ()):
            requests.append((method, path, concrete))
    return requests, unknown_mounts


async def _unprotected(app: Any, http: httpx.AsyncClient) -> list[str]:
    requests, unknown_mounts = _requests(app)
    failures = [
        f"mount {path}: not known to be public; protect it or list it" for path in unknown_mounts
    ]
    for method, template, concrete in requests:
        kwargs: dict[str, Any] = {}
        if method in BODY_METHODS:
            kwargs = {"content": b"{}", "headers": {"Content-Type": "application/json"}}
        response = await http.request(method, concrete, **kwargs)
        if response.status_code != 401:
            failures.append(f"{method} {template}: {response.status_code} without a key")
        elif response.headers.get("content-type") != "application/problem+json":
            failures.append(f"{method} {template}: 401 is not problem+json")
        elif response.json().get("type") != "urn:tierline:problem:unauthorized":
            failures.append(f"{method} {template}: 401 has type {response.json().get('type')}")
    return failures


async def test_every_route_but_the_public_ones_refuses_a_request_without_a_key(
    app: Any, client: httpx.AsyncClient
) -> None:
    requests, _ = _requests(app)
    walked = {(method, template) for method, template, _ in requests}
    assert {
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys"),
        ("DELETE", "/v1/api-keys/{key_id}"),
        ("PATCH", "/v1/workspace"),
    } <= walked, "the route walk no longer sees the routers' routes"
    assert await _unprotected(app, client) == []


async def test_public_routes_answer_without_a_key(app: Any, client: httpx.AsyncClient) -> None:
    registered = {context.path for context in iter_route_contexts(app.routes)}
    assert PUBLIC_PATHS | {DOCS_ASSETS_MOUNT} <= registered, "stale entry in PUBLIC_PATHS"
    for path in PUBLIC_PATHS:
        response = await client.get(path)
        assert response.status_code == 200, path


async def test_the_walk_finds_an_unprotected_route_added_later(
    settings: Settings, clock: FrozenClock
) -> None:
    application = create_app(settings, clock=clock)
    nested = APIRouter(prefix="/nested")

    @nested.post("/things/{thing_id}")
    async def leaky_nested(thing_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(thing_id)}

    # Outside /v1, where AuthenticateFirst refuses every request without a key.
    @application.get("/leak")
    async def leak() -> dict[str, str]:
        return {"secret": "none"}

    application.include_router(nested)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            failures = await _unprotected(application, http)
    assert failures == [
        "GET /leak: 200 without a key",
        "POST /nested/things/{thing_id}: 200 without a key",
    ]
