"""The README's walk-through, followed line by line as a reader would, on today's date: a fresh
`tierline serve` prints its key, and every shell command from "A short session" to
"Architecture" runs in order in one bash session, with the files the text says to save. Each
response must match what the README shows after its command (`tests/readme_shell.py` says how
a shown response is read); a command with nothing shown must succeed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.live import Live, environment, free_port, serve
from tests.readme_shell import Step, mismatch, parse_shown, read_walkthrough

README = ROOT / "README.md"
START, END = "## A short session", "## Architecture"
DONE = "<<<the step is done>>>"
# A GET shown with a later state (a job that has finished, a delivery made) is asked again,
# as a reader would, for this long.
PATIENCE_S = 30.0


class Shell:
    """One bash session, fed a command at a time; each answer is the command's output and the
    status of the last HTTP response it got."""

    def __init__(self, process: asyncio.subprocess.Process, folder: Path) -> None:
        self.process = process
        self.headers = folder / ".last-response-headers"

    async def run(self, command: str) -> tuple[str, int | None]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.headers.unlink(missing_ok=True)
        self.process.stdin.write(f"{command}\nprintf '\\n%s\\n' {DONE!r}\n".encode())
        await self.process.stdin.drain()
        output: list[str] = []
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), 120)
            assert line, f"bash ended during {command!r}: {''.join(output)}"
            if line.decode().rstrip("\n") == DONE:
                break
            output.append(line.decode())
        status = None
        if self.headers.exists():
            statuses = re.findall(r"^HTTP/\S+ (\d{3})", self.headers.read_text(), re.M)
            status = int(statuses[-1]) if statuses else None
        return "".join(output).removesuffix("\n"), status


@pytest.fixture
async def tierline(database_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    async with serve(database_url, tmp_path) as live:
        yield live


@pytest.fixture
async def shell(database_url: str, tmp_path: Path) -> AsyncIterator[Shell]:
    process = await asyncio.create_subprocess_exec(
        "bash",
        "--noprofile",
        "--norc",
        env=environment(database_url),
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # so that what the walk-through starts in the background ends
    )
    shell = Shell(process, tmp_path)
    # Every curl leaves its response headers where the test reads the status.
    await shell.run(f'curl() {{ command curl -D "{shell.headers}" "$@"; }}')
    try:
        yield shell
    finally:
        with contextlib.suppress(ProcessLookupError):  # bash and all it started have ended
            os.killpg(process.pid, signal.SIGTERM)
        await process.wait()


def _is_a_read(command: str) -> bool:
    if command.startswith("cat "):
        return True
    return command.startswith("curl") and not re.search(r"-X (POST|PUT|PATCH|DELETE)", command)


def _judge(step: Step, output: str, status: int | None) -> str | None:
    if step.transcript:
        shown = [_untimed(line) for line in step.transcript]
        got = [_untimed(line) for line in output.splitlines()]
        return None if shown == got else f"shown {shown}, got {got}"
    if step.status is not None and status != step.status:
        return f"shown status {step.status}, got {status}: {output}"
    if step.status is None and status is not None and status >= 400:
        return f"status {status}: {output}"
    if step.shown is None:
        return None
    try:
        actual = json.loads(output)
    except (json.JSONDecodeError, IndexError):
        return f"not JSON: {output!r}"
    return mismatch(parse_shown(step.shown), _decimals(actual))


def _untimed(line: str) -> str:
    return re.sub(r"[\d.,]+ (s|rows/s)\b", r"<n> \1", line)


def _decimals(value: object) -> object:
    return json.loads(json.dumps(value), parse_float=_decimal, parse_int=_decimal)


def _decimal(text: str) -> object:
    from decimal import Decimal

    return Decimal(text)


async def test_the_walkthrough_works_as_written_today(
    tierline: Live, shell: Shell, tmp_path: Path
) -> None:
    port, key = tierline.port, tierline.key
    receiver_port = free_port()
    walkthrough = read_walkthrough(README.read_text(), START, END)
    for name, content in walkthrough.files.items():
        (tmp_path / name).write_text(content)
    assert walkthrough.steps[0].command.startswith("export KEY=tl_...")
    # Only loopback: no address the walk-through names may leave this machine.
    for step in walkthrough.steps:
        for host in re.findall(r"https?://([^/:\s\"']+)", step.command):
            assert host == "127.0.0.1", f"README line {step.line} names {host}"
    ran = 0

    def on_these_ports(text: str) -> str:
        return (
            text.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            .replace("PORT=8080", f"PORT={receiver_port}")
            .replace("127.0.0.1:8080", f"127.0.0.1:{receiver_port}")
        )

    for step in walkthrough.steps:
        command = on_these_ports(step.command.replace("tl_...", key))
        if step.shown:
            step.shown = on_these_ports(step.shown)
        output, status = await shell.run(command)
        problem = _judge(step, output, status)
        waited = 0.0
        while problem and _is_a_read(step.command) and waited < PATIENCE_S:
            await asyncio.sleep(0.5)
            waited += 0.5
            output, status = await shell.run(command)
            problem = _judge(step, output, status)
        assert problem is None, f"README line {step.line}: {step.command}\n{problem}\n{output}"
        ran += 1
    assert ran >= 30
