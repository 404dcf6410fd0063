"""Webhook signing secrets encrypted at rest (issue 23): nothing plain in the database, key
rotation with `tierline secrets rotate`, the start-up checks, the embedded mode's key file and
the upgrade of plain secrets from earlier versions."""

from __future__ import annotations

import asyncio
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from standardwebhooks import Webhook

from app import cli
from app.clock import FrozenClock
from app.settings import Settings
from app.vault import KEY_FILE_NAME, Vault, generate_key
from tests.conftest import TEST_SECRET_KEY, bearer, unsealed
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, attempts, enqueue, new_secret
from tests.webhooks.test_endpoints import allow_loopback, create_endpoint


async def stored_secrets(app: Any) -> list[tuple[str, str | None]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT secret, previous_secret FROM webhook_endpoints"))
        return [(row.secret, row.previous_secret) for row in rows]


async def run_cli(*argv: str) -> None:
    # The command runs its own event loops (alembic, asyncio.run), so it gets its own thread.
    await asyncio.to_thread(cli.main, list(argv))


def nothing_plain(rows: list[tuple[str, str | None]]) -> bool:
    return not any("whsec_" in (value or "") for row in rows for value in row)


async def test_the_database_holds_no_plain_secret_after_creation_and_rotation(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key)
    assert created["secret"].startswith("whsec_")
    assert nothing_plain(await stored_secrets(app))

    path = f"/v1/webhooks/endpoints/{created['id']}/rotate-secret"
    rotated = (await client.post(path, headers=bearer(admin_key))).json()
    [(secret, previous)] = await stored_secrets(app)
    assert previous is not None
    assert nothing_plain([(secret, previous)])
    assert (unsealed(secret), unsealed(previous)) == (rotated["secret"], created["secret"])


async def test_signatures_verify_with_the_same_secret_after_the_key_is_rotated(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    database_url: str,
    make_worker: WorkerFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    allow_loopback(app)
    created = await create_endpoint(client, admin_key, url=receiver.url())
    new_key = generate_key()
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("TIERLINE_SECRET_KEY", f"{new_key},{TEST_SECRET_KEY}")

    await run_cli("secrets", "rotate")
    assert "re-encrypted the signing secrets of 1 webhook endpoints" in capsys.readouterr().err
    await run_cli("secrets", "rotate")  # nothing left under the old key
    assert "re-encrypted the signing secrets of 0 webhook endpoints" in capsys.readouterr().err

    # The old key may go now: a worker with the new key alone signs as before.
    [(secret, _)] = await stored_secrets(app)
    assert Vault(new_key).decrypt(secret) == created["secret"]
    sent = await client.post(
        f"/v1/webhooks/endpoints/{created['id']}/test", headers=bearer(admin_key)
    )
    assert sent.status_code == 202
    worker = make_worker(secret_key=SecretStr(new_key))
    assert await worker.deliver_due() == 1
    [request] = receiver.requests
    Webhook(created["secret"]).verify(request.body, request.headers)


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["migrate"], ["secrets", "rotate"]])
def test_start_up_refuses_a_configured_database_without_a_key(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refused before any connection: nothing needs to listen at this address.
    monkeypatch.setenv("TIERLINE_DATABASE_URL", "postgresql://tierline@127.0.0.1:9/tierline")
    monkeypatch.delenv("TIERLINE_SECRET_KEY")
    with pytest.raises(SystemExit) as exited:
        cli.main(command)
    assert exited.value.code == 2
    assert "TIERLINE_SECRET_KEY must be set when TIERLINE_DATABASE_URL is" in (
        capsys.readouterr().err
    )


def test_a_malformed_key_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIERLINE_DATABASE_URL", "postgresql://tierline@127.0.0.1:9/tierline")
    monkeypatch.setenv("TIERLINE_SECRET_KEY", "hunter2")
    with pytest.raises(SystemExit) as exited:
        cli.main(["migrate"])
    assert exited.value.code == 2
    assert "TIERLINE_SECRET_KEY must list Fernet keys" in capsys.readouterr().err


def test_the_embedded_mode_keeps_its_key_in_a_private_file_of_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIERLINE_SECRET_KEY")
    settings = Settings(data_dir=tmp_path / "data")
    first = cli.with_secret_key(settings).secret_key
    key_path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert first is not None
    Vault(first.get_secret_value())  # a usable key
    again = cli.with_secret_key(settings).secret_key  # the next start
    assert again is not None
    assert again.get_secret_value() == first.get_secret_value()
    assert list(key_path.parent.iterdir()) == [key_path]


async def test_plain_secrets_from_before_are_encrypted_in_place_by_migrate(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    database_url: str,
    make_worker: WorkerFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, current = new_secret(), new_secret()
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE webhook_endpoints SET secret = :current, previous_secret = :old, "
                "previous_secret_expires_at = :expires"
            ),
            {"current": current, "old": old, "expires": clock.now() + timedelta(hours=1)},
        )
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)

    await run_cli("migrate")
    assert "encrypted the plain signing secrets of 1 webhook endpoints" in (capsys.readouterr().err)
    [(secret, previous)] = await stored_secrets(app)
    assert previous is not None
    assert nothing_plain([(secret, previous)])
    assert (unsealed(secret), unsealed(previous)) == (current, old)
    await run_cli("migrate")
    assert "encrypted" not in capsys.readouterr().err
    assert await stored_secrets(app) == [(secret, previous)]

    await enqueue(app, workspace_id, clock, endpoint_id)
    assert await make_worker().deliver_due() == 1
    [request] = receiver.requests
    for signer in (current, old):
        Webhook(signer).verify(request.body, request.headers)


async def test_a_wrong_key_stops_the_start_and_fails_deliveries_with_a_clear_error(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    database_url: str,
    make_worker: WorkerFactory,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    another_installations_key = generate_key()
    monkeypatch.setenv("TIERLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("TIERLINE_SECRET_KEY", another_installations_key)

    with pytest.raises(SystemExit) as exited:
        await run_cli("migrate")
    assert exited.value.code == 1
    assert "1 stored webhook signing secrets cannot be decrypted with any key" in (
        capsys.readouterr().err
    )

    # A worker that runs with it anyway sends nothing and says why.
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    worker = make_worker(secret_key=SecretStr(another_installations_key))
    assert await worker.deliver_due() == 1
    assert receiver.requests == []
    [attempt] = await attempts(app, message_id)
    assert "cannot be decrypted with any key in TIERLINE_SECRET_KEY" in attempt["error"]
