"""The console's files over HTTP, without a browser: served with no key, with a policy that
loads nothing from elsewhere and runs nothing inline, and left out of the API document."""

from __future__ import annotations

from typing import Any

import httpx

from app.console.router import PATHS, STATIC

POLICY = "default-src 'self'; connect-src 'self'; frame-ancestors 'none'"


async def test_console_files_are_served_with_the_policy_and_no_referrer(
    client: httpx.AsyncClient,
) -> None:
    for path in PATHS:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == POLICY
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_page_has_no_inline_script_or_style_and_names_only_its_own_files(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/console")).text
    assert "<script>" not in page and "<style" not in page and "style=" not in page
    assert 'src="/console/console.js"' in page and 'href="/console/console.css"' in page
    script = (STATIC / "console.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "eval(" not in script and "document.write" not in script


async def test_console_routes_are_not_in_the_api_document(app: Any) -> None:
    assert not [path for path in app.openapi()["paths"] if path.startswith("/console")]
