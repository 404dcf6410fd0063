"""The README's ten-line receiver works as written: run as its own process, it accepts a
delivery Tierline signs and refuses a body whose signature does not match."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.conftest import bearer
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.test_endpoints import allow_loopback

README = Path(__file__).resolve().parents[2] / "README.md"


def receiver_code() -> str:
    found = re.search(r"A receiver in ten lines.*?```python\n(.*?)```", README.read_text(), re.S)
    assert found is not None, "README has no receiver example"
    return found[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("the README receiver did not start")


async def test_the_readme_receiver_verifies_what_tierline_sends(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    make_worker: WorkerFactory,
    tmp_path: Path,
) -> None:
    allow_loopback(app)
    port = _free_port()
    created = await client.post(
        "/v1/webhooks/endpoints",
        json={"url": f"http://127.0.0.1:{port}/hook"},
        headers=bearer(admin_key),
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    script = tmp_path / "receiver.py"
    script.write_text(receiver_code())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env=os.environ | {"WEBHOOK_SECRET": endpoint["secret"], "PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _wait_for(port)
        ping = await client.post(
            f"/v1/webhooks/endpoints/{endpoint['id']}/test", headers=bearer(admin_key)
        )
        assert ping.status_code in (200, 202), ping.text
        assert await make_worker().deliver_due() == 1
        async with app.state.engine.connect() as conn:
            status = (
                await conn.execute(text("SELECT status, last_status_code FROM webhook_deliveries"))
            ).one()
        assert tuple(status) == ("delivered", 204)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        assert line.decode().strip() == "ping None"

        async with httpx.AsyncClient(trust_env=False) as plain:
            forged = await plain.post(
                f"http://127.0.0.1:{port}/hook",
                content=b'{"type":"ping","timestamp":"2026-01-01T00:00:00Z","data":{}}',
                headers={
                    "webhook-id": "msg_1",
                    "webhook-timestamp": str(int(time.time())),  # in time: the signature is wrong
                    "webhook-signature": "v1,AAAA",
                },
            )
        assert forged.status_code == 401
    finally:
        process.terminate()
        await process.wait()
