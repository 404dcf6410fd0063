"""API keys and workspaces over HTTP: creation, scopes, revocation, tenancy."""

from __future__ import annotations

import httpx

from app.auth.keys import looks_like_key
from tests.conftest import KeyFactory, bearer


async def test_key_is_shown_once_and_only_its_prefix_is_listed(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = await client.post(
        "/v1/api-keys",
        json={"name": "crm", "scopes": ["events:write"]},
        headers=bearer(admin_key),
    )
    assert created.status_code == 201
    body = created.json()
    assert looks_like_key(body["key"]) and len(body["key"]) >= 32
    assert body["key"].startswith(body["prefix"])

    listed = await client.get("/v1/api-keys", headers=bearer(admin_key))
    assert listed.status_code == 200
    page = listed.json()
    assert page["next_cursor"] is None
    assert {item["name"] for item in page["items"]} == {"admin", "crm"}
    assert all("key" not in item for item in page["items"])
    assert body["key"] not in listed.text


async def test_keys_are_stored_only_as_hashes(
    app, client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    key = await make_key("events:write")
    async with app.state.engine.connect() as conn:
        from sqlalchemy import text

        dump = await conn.execute(text("SELECT key_hash, prefix, name FROM api_keys"))
        rows = dump.all()
    assert all(key.encode() not in bytes(row.key_hash) for row in rows)
    assert all(row.prefix != key for row in rows)


async def test_missing_malformed_and_unknown_keys_get_401(client: httpx.AsyncClient) -> None:
    cases = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer tl_short"},
        {"Authorization": "Bearer tl_" + "A" * 43},
    ]
    for headers in cases:
        response = await client.get("/v1/api-keys", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:tierline:problem:unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_key_without_scope_gets_403_naming_the_scope(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    key = await make_key("events:write")
    response = await client.get("/v1/api-keys", headers=bearer(key))
    assert response.status_code == 403
    assert response.json()["required_scope"] == "admin"


async def test_unknown_scope_is_422_naming_the_field(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["events:read"]}, headers=bearer(admin_key)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes.0"


async def test_admin_cannot_grant_instance_scope(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    admin_only = await make_key("admin")
    response = await client.post(
        "/v1/api-keys", json={"name": "x", "scopes": ["instance"]}, headers=bearer(admin_only)
    )
    assert response.status_code == 403


async def test_revoked_key_is_refused_at_once_and_revocation_is_idempotent(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = (
        await client.post(
            "/v1/api-keys", json={"name": "tmp", "scopes": ["admin"]}, headers=bearer(admin_key)
        )
    ).json()
    assert (await client.get("/v1/workspace", headers=bearer(created["key"]))).status_code == 200

    first = await client.delete(f"/v1/api-keys/{created['id']}", headers=bearer(admin_key))
    again = await client.delete(f"/v1/api-keys/{created['id']}", headers=bearer(admin_key))
    assert first.status_code == again.status_code == 200
    assert first.json()["revoked_at"] == again.json()["revoked_at"] is not None

    response = await client.get("/v1/workspace", headers=bearer(created["key"]))
    assert response.status_code == 401


async def test_list_pages_with_a_cursor_and_never_repeats(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    for _ in range(4):
        await make_key("events:write")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/api-keys", params=params, headers=bearer(admin_key))).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5


async def test_limit_and_cursor_are_validated(client: httpx.AsyncClient, admin_key: str) -> None:
    for limit in (0, 1001, "x"):
        response = await client.get(
            "/v1/api-keys", params={"limit": limit}, headers=bearer(admin_key)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"
    response = await client.get(
        "/v1/api-keys", params={"cursor": "garbage!"}, headers=bearer(admin_key)
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:tierline:problem:invalid-cursor"


async def test_workspaces_are_isolated_and_foreign_objects_are_404(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = await client.post(
        "/v1/workspaces",
        json={"slug": "acme", "name": "Acme", "base_currency": "USD"},
        headers=bearer(admin_key),
    )
    assert created.status_code == 201
    acme_key = created.json()["admin_key"]["key"]
    assert created.json()["admin_key"]["scopes"] == ["admin"]

    acme_keys = (await client.get("/v1/api-keys", headers=bearer(acme_key))).json()["items"]
    default_keys = (await client.get("/v1/api-keys", headers=bearer(admin_key))).json()["items"]
    assert {k["id"] for k in acme_keys}.isdisjoint({k["id"] for k in default_keys})

    foreign = default_keys[0]["id"]
    response = await client.delete(f"/v1/api-keys/{foreign}", headers=bearer(acme_key))
    assert response.status_code == 404
    still_valid = await client.get("/v1/workspace", headers=bearer(admin_key))
    assert still_valid.status_code == 200

    workspace = (await client.get("/v1/workspace", headers=bearer(acme_key))).json()
    assert (workspace["slug"], workspace["base_currency"]) == ("acme", "USD")


async def test_only_instance_keys_manage_workspaces(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    admin_only = await make_key("admin")
    response = await client.post(
        "/v1/workspaces", json={"slug": "b", "name": "B"}, headers=bearer(admin_only)
    )
    assert response.status_code == 403
    assert (await client.get("/v1/workspaces", headers=bearer(admin_only))).status_code == 403


async def test_duplicate_slug_is_409(client: httpx.AsyncClient, admin_key: str) -> None:
    body = {"slug": "dup", "name": "Dup"}
    assert (
        await client.post("/v1/workspaces", json=body, headers=bearer(admin_key))
    ).status_code == 201
    again = await client.post("/v1/workspaces", json=body, headers=bearer(admin_key))
    assert again.status_code == 409
    assert again.json()["type"] == "urn:tierline:problem:slug-taken"


async def test_keys_of_a_deleted_workspace_stop_working(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = (
        await client.post(
            "/v1/workspaces", json={"slug": "gone", "name": "Gone"}, headers=bearer(admin_key)
        )
    ).json()
    key = created["admin_key"]["key"]
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 200
    deleted = await client.delete(
        f"/v1/workspaces/{created['workspace']['id']}", headers=bearer(admin_key)
    )
    assert deleted.status_code == 204
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 401
    listed = (await client.get("/v1/workspaces", headers=bearer(admin_key))).json()["items"]
    assert "gone" not in {w["slug"] for w in listed}


async def test_patch_workspace_changes_only_given_fields(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.patch(
        "/v1/workspace", json={"base_currency": "USD"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200
    assert response.json()["base_currency"] == "USD"
    assert response.json()["name"] == "Default workspace"
    bad = await client.patch(
        "/v1/workspace", json={"base_currency": "XYZ"}, headers=bearer(admin_key)
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "base_currency"
    unknown = await client.patch("/v1/workspace", json={"colour": "red"}, headers=bearer(admin_key))
    assert unknown.status_code == 422


async def test_the_default_workspace_cannot_be_deleted(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    own = (await client.get("/v1/workspace", headers=bearer(admin_key))).json()
    response = await client.delete(f"/v1/workspaces/{own['id']}", headers=bearer(admin_key))
    assert response.status_code == 409
    assert response.json()["type"] == "urn:tierline:problem:default-workspace"
    assert (await client.get("/v1/workspace", headers=bearer(admin_key))).status_code == 200
