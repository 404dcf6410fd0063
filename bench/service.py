"""The service under test, started the way users start it, on a fresh database.

``database_server()`` picks the PostgreSQL server (``TIERLINE_DATABASE_URL``, or the embedded
one under ``.tierline/bench-pg``); ``running_service()`` creates a fresh database on it, runs
``tierline serve`` against it on a free local port, waits for ``/readyz``, and always stops the
process and drops the database afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncpg
import httpx

from app.auth.keys import generate_key
from app.db.url import asyncpg_dsn, with_database
from bench.model import BenchError

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED_PGDATA = ROOT / ".tierline" / "bench-pg"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 40.0
LOG_TAIL_LINES = 40


def database_server() -> str:
    """URL of the server to create benchmark databases on; starts the embedded one if needed.

    The embedded server stops when the last process using it exits.
    """
    configured = os.environ.get("TIERLINE_DATABASE_URL")
    if configured:
        return configured
    from app.db.embedded import start_embedded

    print(f"bench: starting the embedded PostgreSQL in {EMBEDDED_PGDATA}", file=sys.stderr)
    return start_embedded(EMBEDDED_PGDATA, database="postgres")


async def server_version(server_url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        version: str = await conn.fetchval("SELECT current_setting('server_version')")
        return version
    finally:
        await conn.close()


CLONE_ATTEMPTS = 5


async def create_database(server_url: str, name: str, template: str | None = None) -> None:
    """Creates ``name``, empty or a file copy of ``template`` (a database nobody else may
    use meanwhile: autovacuum workers still on it are stopped, and the copy retried)."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        if template is None:
            await conn.execute(f'CREATE DATABASE "{name}"')
            return
        for attempt in range(CLONE_ATTEMPTS):
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                template,
            )
            try:
                await conn.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'
                )
                return
            except asyncpg.ObjectInUseError:
                if attempt == CLONE_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(1.0)
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(server_url: str, template: str | None = None) -> AsyncIterator[str]:
    """A new database on the server, empty or a copy of ``template``, dropped on exit;
    yields its URL. An empty one on a Citus coordinator (``tierline migrate`` then
    distributes it) is created on every node of the cluster; a copy is for one server."""
    name = f"tierline_bench_{secrets.token_hex(6)}"
    if template is not None:
        await create_database(server_url, name, template)
        try:
            yield with_database(server_url, name)
        finally:
            await drop_database(server_url, name)
        return
    from tests.cluster import create_database as create_everywhere
    from tests.cluster import discover
    from tests.cluster import drop_database as drop_everywhere

    server = await discover(server_url)
    await create_everywhere(server, name)
    try:
        yield with_database(server_url, name)
    finally:
        await drop_everywhere(server, name)


@dataclass(frozen=True, slots=True)
class Service:
    base_url: str
    key: str
    """An admin key of the default workspace."""
    database_url: str
    pid: int
    """The server's process id: ``tierline serve`` runs uvicorn in its own process (no
    workers, no reloader), so this is the process that serves the requests."""

    def client(self, timeout_s: float = 30.0) -> httpx.AsyncClient:
        """A client for this service only; ``trust_env=False`` so no proxy is ever used."""
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=timeout_s,
            trust_env=False,
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def tierline_executable() -> Path:
    executable = Path(sys.executable).with_name("tierline")
    if not executable.exists():
        raise BenchError(f"{executable} not found; run 'make bench' to install the project")
    return executable


def _tail(log: IO[bytes]) -> str:
    """The last lines written to ``log``, read without moving the offset the child writes at."""
    size = os.fstat(log.fileno()).st_size
    text = os.pread(log.fileno(), size, 0).decode(errors="replace")
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


async def _wait_ready(process: asyncio.subprocess.Process, base_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise BenchError(f"tierline serve exited with code {process.returncode}")
            try:
                response = await client.get("/readyz")
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise BenchError(f"tierline serve was not ready within {READY_TIMEOUT_S:.0f} s")


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, as a user stops a server, then SIGKILL if it does not stop in time."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()


@dataclass(frozen=True, slots=True)
class Template:
    """A database to start from, and an admin key of its default workspace."""

    name: str
    key: str


@asynccontextmanager
async def running_service(
    server_url: str, settings: dict[str, str] | None = None, template: Template | None = None
) -> AsyncIterator[Service]:
    """``tierline serve`` on a fresh database (a copy of ``template``, if given), ready;
    stopped and dropped on exit. ``settings`` adds environment variables (``TIERLINE_...``)."""
    key = generate_key() if template is None else template.key
    async with (
        fresh_database(server_url, None if template is None else template.name) as database_url,
        serving(database_url, key, settings) as service,
    ):
        yield service


@asynccontextmanager
async def serving(
    database_url: str, key: str, settings: dict[str, str] | None = None
) -> AsyncIterator[Service]:
    """``tierline serve`` on ``database_url``, its bootstrap key ``key``, ready; stopped on
    exit."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    env = os.environ | {
        "TIERLINE_DATABASE_URL": database_url,
        "TIERLINE_BOOTSTRAP_KEY": key,
        "TIERLINE_LOG_LEVEL": "WARNING",
        **(settings or {}),
    }
    with tempfile.TemporaryFile(prefix="tierline-bench-serve-") as log:
        process = await asyncio.create_subprocess_exec(
            str(tierline_executable()),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            await _wait_ready(process, base_url)
            yield Service(base_url=base_url, key=key, database_url=database_url, pid=process.pid)
        except Exception as error:
            error.add_note(f"--- tierline serve output, last lines ---\n{_tail(log)}")
            raise
        finally:
            await stop_process(process)


@asynccontextmanager
async def running_worker(service: Service, settings: dict[str, str]) -> AsyncIterator[int]:
    """``tierline worker`` on the service's database, with ``settings`` added to the
    environment (``TIERLINE_BACKGROUND_WORK``, say); its pid. Stopped on exit."""
    env = os.environ | {
        "TIERLINE_DATABASE_URL": service.database_url,
        "TIERLINE_LOG_LEVEL": "WARNING",
        **settings,
    }
    with tempfile.TemporaryFile(prefix="tierline-bench-worker-") as log:
        process = await asyncio.create_subprocess_exec(
            str(tierline_executable()),
            "worker",
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            yield process.pid
            if process.returncode is not None:
                raise BenchError(f"tierline worker exited with code {process.returncode}")
        except Exception as error:
            error.add_note(f"--- tierline worker output, last lines ---\n{_tail(log)}")
            raise
        finally:
            await stop_process(process)


async def wait_for_job(
    client: httpx.AsyncClient,
    job_id: str | None,
    timeout_s: float,
    headers: dict[str, str] | None = None,
) -> None:
    """Polls ``GET /v1/jobs/{job_id}`` until the job succeeds (nothing to wait for when
    ``job_id`` is None); a failed job, or one still running after ``timeout_s``, fails the
    run."""
    deadline = time.monotonic() + timeout_s
    while job_id is not None:
        job = await client.get(f"/v1/jobs/{job_id}", headers=headers)
        if job.status_code != 200:
            raise BenchError(f"GET /v1/jobs answered {job.status_code}: {job.text}")
        status = job.json()["status"]
        if status == "succeeded":
            return
        if status == "failed":
            raise BenchError(f"job {job_id} failed: {job.json()['error']}")
        if time.monotonic() > deadline:
            raise BenchError(f"job {job_id} did not finish within {timeout_s:.0f} s")
        await asyncio.sleep(0.1)
