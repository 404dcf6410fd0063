"""The `tierline` command and start-up bootstrap: settings checks, the default workspace and its
admin key, `keys create` and `openapi`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from app import cli
from app.auth import service as auth_service
from app.auth.keys import generate_key, looks_like_key
from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.conftest import bearer


@pytest.fixture(autouse=True)
def _no_tierline_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test states the configuration it runs with."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"TIERLINE_{name.upper()}", raising=False)


async def _bootstrap(app: Any, clock: FrozenClock, key: str | None) -> str | None:
    async with app.state.engine.begin() as conn:
        return await auth_service.bootstrap(conn, clock.now(), key)


async def _key_count(app: Any) -> int:
    async with app.state.engine.connect() as conn:
        count: int = (await conn.execute(text("SELECT count(*) FROM api_keys"))).scalar_one()
    return count


async def _listed_key(client: httpx.AsyncClient, admin_key: str, prefix: str) -> dict[str, Any]:
    """The listing entry of the key whose secret starts with ``prefix``."""
    items = (await client.get("/v1/api-keys", headers=bearer(admin_key))).json()["items"]
    matches = [item for item in items if prefix.startswith(item["prefix"])]
    assert len(matches) == 1, items
    entry: dict[str, Any] = matches[0]
    return entry


@pytest.mark.parametrize(
    "bad",
    [
        "hunter2",
        "tl_short",
        "tl_" + "a" * 28,  # one character too short
        "TL_" + "a" * 40,
        "tl_" + "a" * 30 + "!",
        " tl_" + "a" * 40,
    ],
)
def test_settings_refuse_a_bootstrap_key_that_does_not_look_like_a_key(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(bootstrap_key=bad)
    assert "TIERLINE_BOOTSTRAP_KEY must look like a Tierline key" in str(raised.value)


def test_settings_accept_a_generated_key_as_bootstrap_key() -> None:
    key = generate_key()
    assert Settings(bootstrap_key=key).bootstrap_key == key
    assert Settings(bootstrap_key="tl_" + "a" * 29).bootstrap_key == "tl_" + "a" * 29


def test_cli_exits_2_with_a_clear_message_on_a_malformed_bootstrap_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIERLINE_BOOTSTRAP_KEY", "my-secret-password")
    with pytest.raises(SystemExit) as exited:
        cli.main(["keys", "create", "--scopes", "admin"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "configuration error" in err
    assert "TIERLINE_BOOTSTRAP_KEY must look like a Tierline key" in err
    assert "my-secret-password" not in err


async def test_bootstrap_key_becomes_an_admin_instance_key_of_the_default_workspace(
    app: Any, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    key = generate_key()
    assert await _bootstrap(app, clock, key) is None

    workspace = await client.get("/v1/workspace", headers=bearer(key))
    assert workspace.status_code == 200
    assert workspace.json()["slug"] == "default"
    entry = await _listed_key(client, key, key)
    assert (entry["name"], sorted(entry["scopes"])) == ("bootstrap", ["admin", "instance"])
    created = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(key)
    )
    assert created.status_code == 201


async def test_bootstrap_with_a_key_is_idempotent(
    app: Any, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    key = generate_key()
    await _bootstrap(app, clock, key)
    assert await _bootstrap(app, clock, key) is None
    assert await _key_count(app) == 1
    async with app.state.engine.connect() as conn:
        workspaces = (await conn.execute(text("SELECT count(*) FROM workspaces"))).scalar_one()
    assert workspaces == 1
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 200


async def test_a_revoked_bootstrap_key_stays_revoked_until_the_setting_changes(
    app: Any, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    key = generate_key()
    await _bootstrap(app, clock, key)
    entry = await _listed_key(client, key, key)
    revoked = await client.delete(f"/v1/api-keys/{entry['id']}", headers=bearer(key))
    assert revoked.status_code == 200
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 401

    assert await _bootstrap(app, clock, key) is None  # a restart with the same setting
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 401
    assert await _key_count(app) == 1

    new_key = generate_key()
    assert await _bootstrap(app, clock, new_key) is None  # the setting changed
    assert (await client.get("/v1/workspace", headers=bearer(new_key))).status_code == 200
    assert (await client.get("/v1/workspace", headers=bearer(key))).status_code == 401
    assert await _key_count(app) == 2


async def test_bootstrap_key_is_added_when_the_default_workspace_already_exists(
    app: Any, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    first = await _bootstrap(app, clock, None)
    assert first is not None
    key = generate_key()
    assert await _bootstrap(app, clock, key) is None
    for usable in (first, key):
        response = await client.get("/v1/workspace", headers=bearer(usable))
        assert response.status_code == 200
        assert response.json()["slug"] == "default"


async def test_bootstrap_without_a_key_generates_one_once(
    app: Any, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    first = await _bootstrap(app, clock, None)
    assert first is not None and looks_like_key(first)
    assert await _bootstrap(app, clock, None) is None
    assert await _key_count(app) == 1

    entry = await _listed_key(client, first, first)
    assert (entry["name"], sorted(entry["scopes"])) == ("admin", ["admin", "instance"])


async def _run_cli(*argv: str) -> None:
    # The command runs its own event loops (alembic, asyncio.run), so it gets its own thread.
    await asyncio.to_thread(cli.main, list(argv))


async def test_keys_create_prints_a_working_key_with_the_given_scopes(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    await _run_cli(
        "keys", "create", "--scopes", "events:write, customers:read", "--name", "crm-sync"
    )
    printed = capsys.readouterr().out.strip()
    assert looks_like_key(printed)

    entry = await _listed_key(client, admin_key, printed)
    assert entry["name"] == "crm-sync"
    assert sorted(entry["scopes"]) == ["customers:read", "events:write"]
    # It authenticates (not 401) but holds no admin scope.
    refused = await client.get("/v1/api-keys", headers=bearer(printed))
    assert refused.status_code == 403
    assert refused.json()["required_scope"] == "admin"


async def test_keys_create_in_another_workspace_by_slug(
    client: httpx.AsyncClient,
    admin_key: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    created = await client.post(
        "/v1/workspaces", json={"slug": "acme", "name": "Acme"}, headers=bearer(admin_key)
    )
    assert created.status_code == 201
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    await _run_cli("keys", "create", "--workspace", "acme", "--scopes", "admin")
    printed = capsys.readouterr().out.strip()
    workspace = await client.get("/v1/workspace", headers=bearer(printed))
    assert workspace.status_code == 200
    assert workspace.json()["slug"] == "acme"


@pytest.mark.parametrize("scopes", ["events:write,events:read", "superuser", " , "])
async def test_keys_create_exits_2_on_unknown_or_missing_scopes(
    app: Any,
    admin_key: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scopes: str,
) -> None:
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    before = await _key_count(app)
    with pytest.raises(SystemExit) as exited:
        await _run_cli("keys", "create", "--scopes", scopes)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown scopes" in captured.err
    assert "events:write" in captured.err  # the valid choices are listed
    assert await _key_count(app) == before


async def test_keys_create_exits_1_for_an_unknown_workspace(
    app: Any,
    admin_key: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    with pytest.raises(SystemExit) as exited:
        await _run_cli("keys", "create", "--workspace", "nope", "--scopes", "admin")
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "No workspace 'nope'" in captured.err
    assert await _key_count(app) == 1


def _generated_document() -> dict[str, Any]:
    document = create_app(Settings(database_url="postgresql://unused/unused")).openapi()
    result: dict[str, Any] = json.loads(json.dumps(document))
    return result


def test_openapi_to_stdout_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["openapi", "--output", "-"])
    captured = capsys.readouterr()
    assert json.loads(captured.out) == _generated_document()
    assert captured.err == ""


def test_openapi_writes_the_document_to_a_file_creating_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "docs" / "api" / "openapi.json"
    cli.main(["openapi", "--output", str(target)])
    assert json.loads(target.read_text()) == _generated_document()
    assert capsys.readouterr().out == ""


def test_the_first_start_prints_no_warning_without_xdg_runtime_dir(tmp_path: Path) -> None:
    """As in a container or CI, where XDG_RUNTIME_DIR is unset: the embedded PostgreSQL's
    package falls back to a folder of its own, and the command says nothing about it."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("TIERLINE_") and name != "XDG_RUNTIME_DIR"
    }
    migrated = subprocess.run(
        [str(Path(sys.executable).with_name("tierline")), "migrate"],
        env=environment | {"TIERLINE_DATA_DIR": str(tmp_path / "data")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "warning" not in migrated.stderr.lower(), migrated.stderr
    assert "database migrated to head" in migrated.stderr
