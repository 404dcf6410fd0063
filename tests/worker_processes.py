"""`tierline worker` processes for tests that scale out, as operators run them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

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
