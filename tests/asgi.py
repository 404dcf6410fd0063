"""Requests driven at the ASGI level, for tests of what a client does on the wire: hang up
midway, or stop reading. httpx's ASGI transport reads every response whole."""

from __future__ import annotations

import json
from typing import Any


def post_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The ASGI scope of ``POST path`` with ``headers``, as uvicorn gives it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},  # as uvicorn announces
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def json_post_scope(path: str, body: dict[str, Any], key: str) -> tuple[dict[str, Any], bytes]:
    """The ASGI scope of ``POST path`` with ``body`` as JSON and ``key``, and the body's
    bytes."""
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        (b"authorization", f"Bearer {key}".encode()),
    ]
    return post_scope(path, headers), raw
