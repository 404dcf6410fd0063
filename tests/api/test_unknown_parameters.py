"""A query parameter a route does not take is refused with a 400 naming it, on every
route, before the route does anything; the parameters a route takes still work."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text

from tests.conftest import bearer
from tests.test_route_protection import _concrete_path


async def _events(app: Any) -> int:
    async with app.state.engine.connect() as conn:
        count: int = (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one()
    return count


async def test_every_v1_route_refuses_a_parameter_it_does_not_take(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    refused = []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute) or not str(context.path_format).startswith("/v1/"):
            continue
        path = _concrete_path(route, str(context.path_format))
        for method in sorted(context.methods or ()):
            response = await client.request(
                method, f"{path}?expand=all", json={}, headers=bearer(admin_key)
            )
            body = response.json()
            refused.append((method, context.path_format, response.status_code, body.get("type")))
            assert response.headers["content-type"] == "application/problem+json"
            assert body["parameters"] == ["expand"], (method, path, body)
    assert {(status, kind) for _, _, status, kind in refused} == {
        (400, "urn:tierline:problem:unknown-parameter")
    }, [r for r in refused if r[2] != 400]
    assert len(refused) > 60


async def test_the_hot_event_route_refuses_one_too_and_stores_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    event = {
        "event_id": "e1",
        "customer_id": "c1",
        "type": "order",
        "occurred_at": "2026-01-01T00:00:00Z",
        "amount": "10.00",
    }
    response = await client.post("/v1/events?dry_run=true", json=event, headers=bearer(admin_key))
    assert response.status_code == 400
    assert "`dry_run`" in response.json()["detail"]
    assert await _events(app) == 0


async def test_a_misspelt_parameter_is_named_beside_those_the_route_takes(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.get(
        "/v1/webhooks/messages?limt=5&endpoint_id=x", headers=bearer(admin_key)
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["parameters"] == ["endpoint_id", "limt"]
    assert problem["detail"].startswith("Unknown query parameters: `endpoint_id`, `limt`.")
    assert "`limit`" in problem["detail"] and "`cursor`" in problem["detail"]

    listed = await client.get("/v1/webhooks/messages?limit=5", headers=bearer(admin_key))
    assert listed.status_code == 200
