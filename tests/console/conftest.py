"""The console in a real headless Chromium, against a real `tierline serve` whose workspace
`tierline demo` filled (150 customers), plus a customer whose trait holds markup and keys
lacking each page's scope. One server and one browser for the module: each test reads the
figures the API gives and holds the page to them.

Screenshots of each page go to $TIERLINE_CONSOLE_SCREENSHOTS, by default
.tierline/console-screenshots in the checkout. The tests skip, saying why, only when no
Chromium or chromedriver is installed (`apt-get install chromium chromium-driver`; .ci/run
installs them)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.db.url import with_database
from tests.cluster import Server, create_database, drop_database
from tests.conftest import ROOT
from tests.live import environment, free_port

MARKUP = '<img src=x onerror="window.__ran = 1">'
SCREENSHOTS = Path(
    os.environ.get("TIERLINE_CONSOLE_SCREENSHOTS", ROOT / ".tierline" / "console-screenshots")
)


@dataclass(frozen=True)
class Site:
    url: str
    key: str  # admin
    keys: dict[str, str]  # a key holding only the named scope(s)

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(
            f"{self.url}{path}", params=params, headers={"Authorization": f"Bearer {self.key}"}
        )
        assert response.status_code == 200, response.text
        return response.json()


def _chromium() -> tuple[str, str]:
    binary = next(
        (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
        None,
    )
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip(
            "no Chromium or chromedriver installed (apt-get install chromium chromium-driver; "
            ".ci/run installs them): the console's browser tests need one"
        )
    return binary, driver


async def _started(database_url: str, folder: Path) -> tuple[subprocess.Popen[bytes], Site]:
    """`tierline serve` with its log in a file (a pipe nobody reads while the browser runs
    would fill and stop it), once it answers /readyz."""
    port = free_port()
    log = folder / "serve.log"
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("tierline")), "serve", "--port", str(port)],
        env=environment(database_url),
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    key = None
    http = httpx.AsyncClient()
    for _ in range(1200):
        found = re.search(r"export KEY=(tl_\S+)", log.read_text(errors="replace"))
        key = found[1] if found else None
        if key is not None:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
        assert process.poll() is None, log.read_text()
        await asyncio.sleep(0.1)
    await http.aclose()
    assert key is not None, log.read_text()
    return process, Site(url, key, {})


@pytest.fixture(scope="module")
async def site(
    server: Server, template_name: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    _chromium()
    name = f"t_{uuid.uuid4().hex[:16]}"
    await create_database(server, name, template=template_name)
    database_url = with_database(server.url, name)
    folder = tmp_path_factory.mktemp("console")
    process, started = await _started(database_url, folder)
    try:
        demo = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("tierline")),
            "demo",
            "--customers",
            "150",
            env=environment(database_url),
            cwd=folder,
            stderr=asyncio.subprocess.PIPE,
        )
        _, said = await demo.communicate()
        assert demo.returncode == 0, said.decode()
        headers = {"Authorization": f"Bearer {started.key}"}
        async with httpx.AsyncClient(base_url=started.url, headers=headers) as http:
            sent = await http.post(
                "/v1/events",
                json={
                    "event_id": "markup-1",
                    "customer_id": "markup",
                    "type": "visit",
                    "occurred_at": "2026-01-05T10:00:00Z",
                    "traits": {"note": MARKUP},
                },
            )
            assert sent.status_code == 201, sent.text
            keys = {}
            for scopes in ("customers:read", "segments:read", "segments:read,customers:read"):
                made = await http.post(
                    "/v1/api-keys", json={"name": scopes, "scopes": scopes.split(",")}
                )
                assert made.status_code == 201, made.text
                keys[scopes] = made.json()["key"]
        yield Site(started.url, started.key, keys)
    finally:
        process.terminate()
        process.wait(60)
        await drop_database(server, name)


class Console:
    """One headless Chromium on the console, reading its logs as it goes."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url

    def open(self, key: str, route: str) -> None:
        """A fresh load with ``key`` in the fragment, as automation opens it."""
        self.driver.get(f"{self.url}/console#key={key}&{route}")
        self.wait_ready()

    def go(self, route: str) -> None:
        """Another page in the same tab (the key stays in sessionStorage)."""
        self.driver.execute_script(
            "document.body.dataset.state = 'moving'; location.hash = arguments[0]", route
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = self.driver.execute_script("return document.body.dataset.state || ''")
            if state == "ready" or self.driver.execute_script(
                "return !!document.getElementById('key-form')"
            ):
                return
            time.sleep(0.1)
        raise AssertionError("the page never became ready")

    def table(self, name: str) -> list[list[str]]:
        """The table's body, cell by cell, as the page shows it."""
        rows: list[list[str]] = self.driver.execute_script(
            "const t = document.querySelector(`table[data-table='${arguments[0]}']`);"
            "if (!t) return null;"
            "return [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent));",
            name,
        )
        assert rows is not None, f"no table {name}"
        return rows

    def text(self, selector: str) -> str:
        found: str | None = self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            selector,
        )
        assert found is not None, selector
        return found

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requested_hosts(self) -> set[str]:
        hosts = set()
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            if event["method"] == "Network.requestWillBeSent":
                url = event["params"]["request"]["url"]
                if not url.startswith(("data:", "about:")):
                    hosts.add(urlsplit(url).hostname or url)
        return hosts

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1280, min(max(900, height + 40), 6000))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 900)
        return path


@pytest.fixture(scope="module")
def console(site: Site) -> Iterator[Console]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    options = Options()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Nothing but loopback resolves: a request meant elsewhere would fail, and show in
        # the performance log the tests read.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield Console(driver, site.url)
    finally:
        driver.quit()
