"""Refuses request bodies that are too large, not JSON, or not UTF-8, before any route runs."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import PROBLEM_MEDIA_TYPE, problem_body

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyGuard:
    """``max_batch_bytes`` for the exact paths of ``batch_paths`` (batch routes), ``max_bytes``
    for every other path."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_batch_bytes: int, batch_paths: frozenset[str]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_batch_bytes = max_batch_bytes
        self.batch_paths = batch_paths

    def _limit(self, path: str) -> int:
        return self.max_batch_bytes if path in self.batch_paths else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self._limit(path)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(
                send,
                path,
                413,
                "payload-too-large",
                "Request body too large",
                f"The body exceeds the {limit}-byte limit of this route.",
            )
            return

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(
                    send,
                    path,
                    413,
                    "payload-too-large",
                    "Request body too large",
                    f"The body exceeds the {limit}-byte limit of this route.",
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        if body:
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            media_type = content_type.split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                await _refuse(
                    send,
                    path,
                    415,
                    "unsupported-media-type",
                    "Unsupported content type",
                    "Send the body as JSON with 'Content-Type: application/json'.",
                )
                return
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                await _refuse(
                    send,
                    path,
                    400,
                    "invalid-encoding",
                    "Body is not UTF-8",
                    "The request body must be UTF-8 encoded JSON.",
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, path: str, status: int, slug: str, title: str, detail: str) -> None:
    payload = json.dumps(problem_body(status, slug, title, detail, path)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
