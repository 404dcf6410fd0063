"""Idempotency keys, free of HTTP: a request that creates something claims its key in its own
transaction before it creates anything and stores its answer in that transaction as it ends,
so that the record and what the request created are committed, or undone, together.

- A key is claimed under a transaction-level advisory lock taken without waiting: a second
  request with the key while the first is in flight is refused at once (``KeyInUse``), and
  gets the stored answer once the first has committed. A request that fails rolls its claim
  back with everything else: the key is free to try again.
- The record remembers a fingerprint of the request (method, path, query, body); the key sent
  with another request is refused (``KeyReused``).
- Records live ``KEPT_FOR``: an older one counts as absent, and ``purge_expired`` deletes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.errors import Conflict
from app.idempotency import repository

KEPT_FOR = timedelta(hours=24)
PURGE_CHUNK = 5000


class KeyInUse(Conflict):
    slug, title = "idempotency-key-in-use", "Idempotency key in use"
    retry_after = 1


class KeyReused(Conflict):
    slug, title = "idempotency-key-reused", "Idempotency key reused"


@dataclass(frozen=True, slots=True)
class Answer:
    """The first answer to a key: its status and its JSON body, secrets left out."""

    status_code: int
    body: Any


def fingerprint(method: str, path: str, query: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """What a retry must repeat: the method, the path, the query parameters in any order and
    the body, as the same JSON value however it is spaced or its keys ordered."""
    parts = [method.upper().encode(), path.encode(), urlencode(sorted(query)).encode()]
    digest = hashlib.sha256(b"\0".join(parts) + b"\0")
    digest.update(_canonical(body))
    return digest.digest()


def _canonical(body: bytes) -> bytes:
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def claim(
    conn: AsyncConnection, workspace_id: UUID, key: str, fingerprint: bytes, now: datetime
) -> Answer | None:
    """Claims ``key`` for the request in ``conn``'s transaction: None when the request is
    the key's first (go on, then ``keep`` the answer in the same transaction), or the
    answer the key already has for this very request."""
    if not await repository.try_lock(conn, workspace_id, key):
        raise _in_use()
    if await repository.insert_claim(conn, workspace_id, key, fingerprint, now, now - KEPT_FOR):
        return None
    found = await repository.find(conn, workspace_id, key)
    if found is None or found.status_code is None:
        # Claimed in a transaction that did not take this server's lock.
        raise _in_use()
    if found.fingerprint != fingerprint:
        raise KeyReused(
            "This Idempotency-Key was sent within the last 24 hours with another request "
            "(method, path, query or body); use a new key for a new request."
        )
    return Answer(found.status_code, found.response)


def _in_use() -> KeyInUse:
    return KeyInUse(
        "A request with this Idempotency-Key is still in progress; retry once it has "
        "finished to receive its answer."
    )


async def keep(conn: AsyncConnection, workspace_id: UUID, key: str, answer: Answer) -> None:
    """Stores the answer of the request that claimed ``key``, in its transaction."""
    await repository.store_answer(conn, workspace_id, key, answer.status_code, answer.body)


async def purge_expired(engine: AsyncEngine, now: datetime) -> int:
    """Deletes the records older than ``KEPT_FOR``, workspace by workspace, in short
    transactions of at most ``PURGE_CHUNK`` rows; returns how many."""
    expired = now - KEPT_FOR
    async with engine.connect() as conn:
        due = await repository.workspaces_with_expired(conn, expired)
    purged = 0
    for workspace_id in due:
        while True:
            async with engine.begin() as conn:
                deleted = await repository.delete_expired(conn, workspace_id, expired, PURGE_CHUNK)
            purged += deleted
            if deleted < PURGE_CHUNK:
                break
    return purged
