"""Each workspace's share of one process: requests in flight and database connections held.

One workspace's excess must never touch another's requests (issue 22). A workspace may have
``max_requests`` requests in flight in a process (beyond: 429 at once), and may hold at most a
per-pool number of a pool's connections at a time; a request that finds its workspace's share
taken waits for its turn up to ``wait_seconds`` (then 503), while other workspaces' requests
take the rest of the pool.

The API, also for code outside the request path (an export pool, a job)::

    async with limits.connection(MAIN_POOL, workspace_id):
        async with engine.begin() as conn:
            ...

``add_pool(name, per_workspace)`` declares another pool's cap before its first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from prometheus_client import Counter

from app.errors import TierlineError
from app.settings import Settings

MAIN_POOL = "main"
"""The main engine's pool: request transactions (``app.api.deps``)."""
RAW_POOL = "raw"
"""The raw asyncpg pool beside it, as large: normal-mode batch requests."""
QUERY_POOL = "query"
"""The query engine's pool: customer counts and searches."""
EXPORT_POOL = "export"
"""The exports' pool: a connection held for as long as an export streams."""

RETRY_AFTER_SECONDS = 1


class TooManyRequests(TierlineError):
    status, slug, title = 429, "too-many-requests", "Too many requests in flight"
    retry_after = RETRY_AFTER_SECONDS


class WorkspaceBusy(TierlineError):
    status, slug, title = 503, "workspace-busy", "The workspace's connections are all in use"
    retry_after = RETRY_AFTER_SECONDS


def half(pool_size: int) -> int:
    return max(1, pool_size // 2)


@dataclass(slots=True)
class _Gate:
    """One workspace's turns at one pool; dropped when no request holds or awaits one."""

    turns: asyncio.Semaphore
    users: int = 0


class WorkspaceLimits:
    def __init__(
        self,
        max_requests: int,
        wait_seconds: float,
        pools: Mapping[str, int],
        refusals: Counter,
    ) -> None:
        self.max_requests = max_requests
        self.wait_seconds = wait_seconds
        self._pools = dict(pools)
        self._refusals = refusals
        self._requests: dict[UUID, int] = {}
        self._gates: dict[tuple[str, UUID], _Gate] = {}

    @classmethod
    def for_settings(cls, settings: Settings, refusals: Counter) -> WorkspaceLimits:
        main = settings.workspace_max_connections or half(settings.db_pool_size)
        return cls(
            settings.workspace_max_requests,
            settings.workspace_wait_seconds,
            {
                MAIN_POOL: main,
                RAW_POOL: main,
                QUERY_POOL: half(settings.db_query_pool_size),
                EXPORT_POOL: half(settings.db_export_pool_size),
            },
            refusals,
        )

    def add_pool(self, name: str, per_workspace: int) -> None:
        """Declares pool ``name``: a workspace holds at most ``per_workspace`` of it at once."""
        self._pools[name] = per_workspace

    def per_workspace(self, pool: str) -> int:
        return self._pools[pool]

    def start_request(self, workspace_id: UUID) -> None:
        """Counts a request of the workspace in; ``TooManyRequests`` when it has its
        ``max_requests`` in flight already. Each admitted request calls ``end_request``."""
        in_flight = self._requests.get(workspace_id, 0)
        if in_flight >= self.max_requests:
            self._refusals.labels("requests").inc()
            raise TooManyRequests(
                f"This workspace has {self.max_requests} requests in flight on this server; "
                "retry after the time in Retry-After."
            )
        self._requests[workspace_id] = in_flight + 1

    def end_request(self, workspace_id: UUID) -> None:
        in_flight = self._requests[workspace_id] - 1
        if in_flight:
            self._requests[workspace_id] = in_flight
        else:
            del self._requests[workspace_id]

    @asynccontextmanager
    async def connection(self, pool: str, workspace_id: UUID) -> AsyncIterator[None]:
        """One of the workspace's turns at ``pool``, held for the block: take the pool's
        connection inside it. Waits up to ``wait_seconds`` for a turn, then ``WorkspaceBusy``."""
        key = (pool, workspace_id)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(asyncio.Semaphore(self._pools[pool]))
        gate.users += 1
        try:
            try:
                async with asyncio.timeout(self.wait_seconds):
                    await gate.turns.acquire()
            except TimeoutError:
                self._refusals.labels("connections").inc()
                raise WorkspaceBusy(
                    "This workspace's share of the server's database connections stayed in "
                    f"use for {self.wait_seconds:g} s; retry after the time in Retry-After."
                ) from None
            try:
                yield
            finally:
                gate.turns.release()
        finally:
            gate.users -= 1
            if not gate.users:
                del self._gates[key]
