"""`tierline worker` and `tierline serve` processes for tests that scale out, as operators run
them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT

START_TIMEOUT_S = 120.0


class Workers:
    def __init__(self, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
        self.processes = processes
        self.logs = logs
        self.exit_codes: list[int] = []

    def started(self) -> bool:
        """Whether every worker has logged 'worker started' (its loops are running)."""
        self.check_alive()
        return all("worker started" in log.read_text() for log in self.logs)

    def check_alive(self) -> None:
        assert all(process.poll() is None for process in self.processes), "a worker exited"


@asynccontextmanager
async def worker_processes(
    database_url: str, tmp_path: Path, settings: Mapping[str, str] | None = None, count: int = 2
) -> AsyncIterator[Workers]:
    """``count`` workers on the database, started; on exit stopped with SIGTERM, their exit
    codes in ``exit_codes``."""
    env = {
        **os.environ,
        "TIERLINE_DATABASE_URL": database_url,
        "TIERLINE_LOG_LEVEL": "INFO",
        "TIERLINE_DB_POOL_SIZE": "2",
        **(settings or {}),
    }
    logs = [tmp_path / f"worker-{n}.log" for n in range(count)]
    workers = Workers(
        [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log.open("wb"),
            )
            for log in logs
        ],
        logs,
    )
    try:
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while not workers.started():
            assert asyncio.get_running_loop().time() < deadline, "workers did not start"
            await asyncio.sleep(0.1)
        yield workers
    finally:
        for process in workers.processes:
            process.terminate()
        workers.exit_codes = [
            await asyncio.to_thread(process.wait, 60) for process in workers.processes
        ]


def resident_bytes(pid: int) -> int:
    """A process's resident memory (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(http: httpx.AsyncClient, base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
    while asyncio.get_running_loop().time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if (await http.get(f"{base}/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("server did not become ready")


@asynccontextmanager
async def server_processes(
    database_url: str, settings: Mapping[str, str], count: int = 2
) -> AsyncIterator[list[str]]:
    """``count`` `tierline serve` processes on the database, each on a loopback port of its
    own, ready; yields their base URLs. Stopped with SIGTERM on exit."""
    async with servers(database_url, settings, count) as started:
        yield [base for base, _ in started]


@asynccontextmanager
async def servers(
    database_url: str, settings: Mapping[str, str], count: int = 2
) -> AsyncIterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """``server_processes``, yielding each one's base URL and process."""
    env = {
        **os.environ,
        "TIERLINE_DATABASE_URL": database_url,
        "TIERLINE_LOG_LEVEL": "WARNING",
        "TIERLINE_DB_POOL_SIZE": "4",
        **settings,
    }
    ports = [_free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        async with httpx.AsyncClient(timeout=30) as http:
            for base, process in zip(bases, processes, strict=True):
                await _wait_ready(http, base, process)
        yield list(zip(bases, processes, strict=True))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(process.wait, 30)
