"""The console's files: a page, its script, its style sheet and its icon, read once and
served as they are, with a policy that lets the page load nothing from anywhere else and
run no inline code. The page calls the API with the user's key; these routes take none."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

STATIC = Path(__file__).with_name("static")

# Everything from this origin, nothing inline, no framing, and no Referer telling another
# site which console page (and which customer) was open.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

MEDIA_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

ASSETS = [name for name in MEDIA_TYPES if name != "index.html"]
PATHS = ["/console", *(f"/console/{name}" for name in ASSETS)]
"""Every path the console serves: public, and outside the API document."""

router = APIRouter(include_in_schema=False)


def _route(name: str) -> None:
    body = (STATIC / name).read_bytes()
    media_type = MEDIA_TYPES[name]

    async def serve() -> Response:
        return Response(body, media_type=media_type, headers=HEADERS)

    path = "/console" if name == "index.html" else f"/console/{name}"
    router.add_api_route(path, serve, methods=["GET"], name=f"console:{name}")


for _name in MEDIA_TYPES:
    _route(_name)
