"""The ``Idempotency-Key`` header of the routes that create something (README, "Safe retries").

A route takes ``Idempotent`` and, once the caller is authorized, ``claim``s the key in its
transaction before it creates anything, then returns ``keep(answer)``: the answer is stored,
its secrets left out, in the same transaction. A key that already has an answer for the same
request skips the route: ``claim`` raises ``Replay``, which ``install``'s handler sends as the
stored answer with ``Idempotent-Replayed: true``. The OpenAPI document states the header, the
409 problems and the replay header on every operation whose route takes it (``document``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from app.api.deps import Now
from app.idempotency import service
from app.idempotency.service import Answer, KeyInUse, KeyReused
from app.validation import SECRET_SHOWN_ONCE, ShownOnce

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
KEY_PATTERN = r"^[ -~]{1,255}$"

Model = TypeVar("Model", bound=BaseModel)

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description="Makes the request safe to retry. The first answer to a key (status and "
        "body) is kept 24 hours and sent again, with `Idempotent-Replayed: true`, for the same "
        "key and the same request (method, path, query and body), without doing anything "
        "again; a secret the first answer showed is `null` in the replay "
        "(`secret_shown_once: true`). The same key with another request is a 409 "
        "`idempotency-key-reused`; while the first request is still in progress, a 409 "
        "`idempotency-key-in-use`. A request that fails keeps nothing: its key may be sent "
        "again. Keys belong to the workspace of the calling key. 1 to 255 printable ASCII "
        "characters; a UUID v4 is a good choice.",
        examples=["5b0e6c2a-8f0d-4a4e-9a53-2f7d0c1e9b41"],
    ),
]


class Replay(Exception):
    """Raised by ``Idempotency.claim`` for a key that has its answer: the route's work is
    skipped, its transaction rolled back with nothing in it, and the answer sent."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status_code)
        self.answer = answer


@dataclass(slots=True)
class Idempotency:
    """One request's ``Idempotency-Key`` (``key`` None: the request sent none)."""

    key: str | None
    fingerprint: bytes
    now: datetime
    route_status: int
    response: Response
    """FastAPI's response of the request, on which a route may set its status."""
    _claimed: tuple[AsyncConnection, UUID] | None = field(default=None)

    async def claim(self, conn: AsyncConnection, workspace_id: UUID) -> None:
        """Claims the key for this request in ``conn``'s transaction; raises ``Replay`` when
        the key already has this request's answer, ``KeyInUse`` or ``KeyReused``."""
        if self.key is None:
            return
        answer = await service.claim(conn, workspace_id, self.key, self.fingerprint, self.now)
        if answer is not None:
            raise Replay(answer)
        self._claimed = (conn, workspace_id)

    async def keep(self, answer: Model) -> Model:
        """Stores ``answer`` for the claimed key, its secrets left out; returns it as is."""
        if self.key is None:
            return answer
        if self._claimed is None:
            raise RuntimeError("Idempotency.keep without a claim")
        conn, workspace_id = self._claimed
        status = self.response.status_code or self.route_status
        await service.keep(conn, workspace_id, self.key, Answer(status, without_secrets(answer)))
        return answer


def without_secrets(answer: BaseModel) -> dict[str, Any]:
    """``answer`` as the JSON the route sends, each field marked ``ShownOnce`` null and its
    model's ``secret_shown_once`` true, in nested models too."""
    body: dict[str, Any] = answer.model_dump(mode="json", by_alias=True)
    _blank(answer, body)
    return body


def _blank(model: BaseModel, body: dict[str, Any]) -> None:
    for name, info in type(model).model_fields.items():
        alias = info.alias or name
        if any(isinstance(mark, ShownOnce) for mark in info.metadata):
            if SECRET_SHOWN_ONCE not in type(model).model_fields:
                raise TypeError(f"{type(model).__name__} has a secret but no {SECRET_SHOWN_ONCE}")
            body[alias] = None
            body[SECRET_SHOWN_ONCE] = True
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            _blank(value, body[alias])
        elif isinstance(value, list):
            for item, item_body in zip(value, body[alias], strict=True):
                if isinstance(item, BaseModel):
                    _blank(item, item_body)


async def _idempotency(
    request: Request, response: Response, now: Now, key: IdempotencyKey = None
) -> Idempotency:
    fingerprint = b""
    if key is not None:
        fingerprint = service.fingerprint(
            request.method,
            request.url.path,
            request.query_params.multi_items(),
            await request.body(),
        )
    route_status = getattr(request.scope.get("route"), "status_code", None) or 200
    return Idempotency(key, fingerprint, now, route_status, response)


Idempotent = Annotated[Idempotency, Depends(_idempotency)]


def install(app: FastAPI) -> None:
    @app.exception_handler(Replay)
    async def _replay(request: Request, replay: Replay) -> JSONResponse:
        return JSONResponse(
            replay.answer.body,
            status_code=replay.answer.status_code,
            headers={REPLAYED: "true"},
        )


# --- the OpenAPI document ------------------------------------------------------------------

_CONFLICTS = (
    f"With an `{HEADER}`: `{KeyReused.slug}` (`urn:tierline:problem:{KeyReused.slug}`), the "
    "key was sent within the last 24 hours with another request; or "
    f"`{KeyInUse.slug}` (`urn:tierline:problem:{KeyInUse.slug}`), the first request with the "
    "key is still in progress: retry after `Retry-After` seconds for its answer."
)
_REPLAYED_HEADER = {
    REPLAYED: {
        "description": f"`true` when this is the stored answer to an earlier request with the "
        f"same `{HEADER}`, sent again; absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": f"With `{KeyInUse.slug}`: seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}


def _takes_key(dependant: Dependant) -> bool:
    stack = [dependant]
    while stack:
        current = stack.pop()
        if current.call is _idempotency:
            return True
        stack.extend(current.dependencies)
    return False


def document(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """Each operation whose route takes ``Idempotent``: its 409 names the two problems (beside
    a 409 of the route's own), and its 2xx answers state the ``Idempotent-Replayed`` header."""
    for context in iter_route_contexts(routes):
        route = context.route
        if not isinstance(route, APIRoute) or not _takes_key(route.dependant):
            continue
        for method in context.methods or ():
            operation = document["paths"][context.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(_REPLAYED_HEADER)
            conflict = responses.setdefault("409", {})
            own = conflict.get("description")
            conflict["description"] = f"{own} {_CONFLICTS}" if own else _CONFLICTS
            conflict.setdefault("headers", {}).update(_RETRY_AFTER)
    return document
