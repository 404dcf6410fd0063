"""A real `tierline serve` process on a loopback port, for tests that talk to the service as
its users do: over TCP, from another process or a generated client."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(database_url: str) -> dict[str, str]:
    """The environment of a process run against the test's database: no TIERLINE_ setting of
    the caller's, the virtualenv's commands first on the PATH."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TIERLINE_")}
    return inherited | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{inherited['PATH']}",
        "TIERLINE_DATABASE_URL": database_url,
        "TIERLINE_SECRET_KEY": TEST_SECRET_KEY,
        # Receivers in tests listen on loopback, which Tierline refuses by default.
        "TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }


@dataclass(frozen=True)
class Live:
    port: int
    key: str  # the admin key the first start printed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def serve(database_url: str, folder: Path) -> AsyncIterator[Live]:
    """`tierline serve` on an empty workspace database, until it answers /readyz."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("tierline")),
        "serve",
        "--port",
        str(port),
        env=environment(database_url),
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        key = None
        while key is None:
            line = (await asyncio.wait_for(process.stderr.readline(), 120)).decode()
            assert line, "tierline serve ended before printing its key"
            found = re.search(r"export KEY=(tl_\S+)", line)
            key = found[1] if found else None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(600):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        # Its log is read on, so that a full pipe never stops the server.
        drain = asyncio.ensure_future(process.stderr.read())
        yield Live(port, key)
        drain.cancel()
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 60)
