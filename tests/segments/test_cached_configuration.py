"""Counts and searches read the caller's key and the workspace's schemes and metrics from the
process's configuration cache, and check its version in their own statement: a change made
through another server process (another app instance on the same database) shows at the very
next request, whether it adds what a condition names, removes it, or revokes the key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.classification.test_triggers import PERKS
from tests.conftest import T0, bearer
from tests.events.test_concurrency import second_client
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme, scheme

__all__ = ["second_client"]  # the fixture: another app instance on the same database

GOLD = {
    "key": "gold",
    "name": "Gold",
    "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 1000},
}


def holds(scheme_key: str, tier: str) -> dict[str, Any]:
    return {"condition": {"field": f"tiers.{scheme_key}", "op": "eq", "value": tier}}


async def count(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/customers/count", json=body, headers=bearer(key))


async def counted(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> int:
    response = await count(client, key, body)
    assert response.status_code == 200, response.text
    found: int = response.json()["count"]
    return found


async def seed(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> None:
    """The scheme ``value``: c1 vip (6,000 spent), c2 and c3 regular (1,500 and 100)."""
    await put_scheme(client, key, VALUE)
    for n, amount in enumerate(("6000.00", "1500.00", "100.00"), start=1):
        await order(client, key, f"e{n}", amount, T0, f"c{n}")
    await run_until_idle(app.state.engine, clock)


async def test_a_count_follows_scheme_changes_made_through_another_instance(
    app: Any,
    client: httpx.AsyncClient,
    second_client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
) -> None:
    await seed(app, client, admin_key, clock)
    assert await counted(client, admin_key, holds("value", "vip")) == 1  # this process caches

    # A new tier in a new version of a scheme: this process's cached catalogue lacks it,
    # and would refuse the condition.
    await put_scheme(second_client, admin_key, scheme(tiers=[GOLD, *VALUE["tiers"]]))
    await run_until_idle(app.state.engine, clock)
    assert await counted(client, admin_key, holds("value", "gold")) == 2
    assert await counted(client, admin_key, holds("value", "vip")) == 0

    # A new scheme (its one tier: gold in ``value``).
    await put_scheme(second_client, admin_key, PERKS, "perks")
    await run_until_idle(app.state.engine, clock)
    assert await counted(client, admin_key, holds("perks", "elite")) == 2

    # An archived scheme: refused at once, where the cached catalogue would count nobody.
    response = await second_client.delete("/v1/schemes/perks", headers=bearer(admin_key))
    assert response.status_code == 204, response.text
    response = await count(client, admin_key, holds("perks", "elite"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["code"] for e in response.json()["errors"]] == ["unknown_scheme"]

    # A tier gone from the scheme's new version: the same for a search.
    await put_scheme(second_client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    response = await client.post(
        "/v1/customers/search", json=holds("value", "gold"), headers=bearer(admin_key)
    )
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["unknown_tier"]
    response = await client.post(
        "/v1/customers/search", json=holds("value", "vip"), headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    assert [item["customer_id"] for item in response.json()["items"]] == ["c1"]


async def test_a_revoked_key_is_refused_at_its_next_count(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, admin_key: str
) -> None:
    created = await client.post(
        "/v1/api-keys",
        json={"name": "reader", "scopes": ["segments:read"]},
        headers=bearer(admin_key),
    )
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["id"]
    assert await counted(client, key, {"condition": None}) == 0  # this process caches the key

    revoked = await second_client.delete(f"/v1/api-keys/{key_id}", headers=bearer(admin_key))
    assert revoked.status_code == 200, revoked.text
    for path in ("/v1/customers/count", "/v1/customers/search"):
        response = await client.post(path, json={}, headers=bearer(key))
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
    # The other keys of the workspace still work.
    assert await counted(client, admin_key, {}) == 0


async def test_a_deleted_workspace_s_keys_are_refused_at_their_next_count(
    client: httpx.AsyncClient, second_client: httpx.AsyncClient, admin_key: str
) -> None:
    created = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201, created.text
    key = created.json()["admin_key"]["key"]
    assert await counted(client, key, {}) == 0

    workspace_id = created.json()["workspace"]["id"]
    deleted = await second_client.delete(
        f"/v1/workspaces/{workspace_id}", headers=bearer(admin_key)
    )
    assert deleted.status_code == 204, deleted.text
    assert (await count(client, key, {})).status_code == 401


@pytest.mark.parametrize("path", ["/v1/customers/count", "/v1/customers/search"])
async def test_a_key_refused_a_scope_is_refused_on_the_current_configuration(
    client: httpx.AsyncClient, admin_key: str, path: str
) -> None:
    created = await client.post(
        "/v1/api-keys",
        json={"name": "writer", "scopes": ["events:write"]},
        headers=bearer(admin_key),
    )
    key = created.json()["key"]
    for _ in range(2):  # from the database, then from the cache
        response = await client.post(path, json={}, headers=bearer(key))
        assert response.status_code == 403, response.text
        assert response.json()["required_scope"] == "segments:read"
