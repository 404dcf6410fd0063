"""Group commit: the single events a process receives for a workspace at about the same time
share one transaction (a flush, ``app.events.flush``), each answered with its own result once
that transaction has committed.

A request is authenticated and validated first (from the configuration cache), then queued
with a future; a queued request holds no connection. Each workspace has a lane: a queue and at
most ``TIERLINE_EVENT_FLUSH_CONCURRENCY`` flushes in progress (while one waits for PostgreSQL,
the next is prepared and classified). When a flush ends, what queued meanwhile goes into the
next one (natural batching: an idle lane flushes an event at once). When recent flushes of the lane
held company, a flush that would start with fewer events than they did waits up to
``TIERLINE_EVENT_FLUSH_WAIT_MS`` for more; 0 turns batching off (each event its own
transaction, as concurrent as the pool allows).

A flush holds at most ``TIERLINE_EVENT_FLUSH_MAX`` events, at most one per customer and per id:
a customer's next event waits for the next flush, so it follows the previous one as it would
sent alone, in arrival order (nor does a flush in progress share a customer or an id with the
next). All events of a flush share one ``now``.

A flush that fails is not its events' fault until shown so: a deadlock or a serialization
failure is retried, then the flush is split in halves, each run on its own, down to the one
event that fails alone, with the error it would have had alone. A lost connection fails the
flush's events at once (503). A client that hangs up does not cancel its event: the flush
runs to its end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.classification.config import ConfigCache, WorkspaceConfig
from app.clock import Clock
from app.db.engine import RawConnection
from app.db.statistics import GrowthWatch
from app.events import flush
from app.events.schemas import EventIn
from app.events.service import Outcome
from app.observability import Metrics

logger = logging.getLogger(__name__)

_COMPANY_MEMORY = 0.2
"""Weight of the last flush in the lane's typical flush size."""


@dataclass(slots=True)
class _Queued:
    item: flush.Submitted
    config: WorkspaceConfig
    future: asyncio.Future[Outcome]
    queued_at: float


@dataclass(slots=True)
class _Lane:
    """One workspace's queue, the flushes in progress and what they hold."""

    queue: deque[_Queued] = field(default_factory=deque)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    freed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a flush ends: its slot, customers and ids are free again."""
    starter: asyncio.Task[None] | None = None
    flushes: set[asyncio.Task[None]] = field(default_factory=set)
    customers: set[str] = field(default_factory=set)
    """Customers of the flushes in progress: their next events wait."""
    ids: set[str] = field(default_factory=set)
    typical: float = 1.0
    """Recent flush sizes, smoothed: how much company is worth waiting for."""
    config: WorkspaceConfig | None = None
    """The newest configuration the lane has run under."""


class EventBatcher:
    """The process's group commit for ``POST /v1/events``."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        engine: AsyncEngine,
        configs: ConfigCache,
        clock: Clock,
        metrics: Metrics,
        *,
        max_events: int,
        wait_ms: float,
        concurrency: int,
    ) -> None:
        self.pool = pool
        self.engine = engine
        self.configs = configs
        self.clock = clock
        self.metrics = metrics
        self.max_events = max_events
        self.wait_s = wait_ms / 1000
        self.concurrency = concurrency
        self.growth = GrowthWatch(pool)
        self._lanes: dict[UUID, _Lane] = {}

    async def submit(self, config: WorkspaceConfig, key_hash: bytes, event: EventIn) -> Outcome:
        """The event's outcome once the transaction holding it has committed; its error
        (a ``TierlineError``, or the database's) otherwise."""
        item = flush.Submitted(event, key_hash)
        if self.wait_s <= 0:
            return await self._alone(config, item)
        lane = self._lanes.setdefault(config.workspace_id, _Lane())
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        # Retrieved here if the request was cancelled (its client hung up) before the answer.
        future.add_done_callback(_retrieve)
        lane.queue.append(_Queued(item, config, future, time.perf_counter()))
        lane.arrived.set()
        if lane.starter is None:
            lane.starter = asyncio.create_task(self._start_flushes(lane))
        # Shielded: a client that hangs up cancels its request, not its event.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Waits for every queued event to be flushed (at shutdown, once no request comes)."""
        while busy := [
            task
            for lane in self._lanes.values()
            for task in (lane.starter, *lane.flushes)
            if task is not None
        ]:
            await asyncio.gather(*busy)
        await self.growth.settled()

    async def _alone(self, config: WorkspaceConfig, item: flush.Submitted) -> Outcome:
        now = self.clock.now()
        async with self.pool.acquire() as raw:
            answers: list[Outcome | BaseException] = [RuntimeError("not answered")]
            await self._settle(raw, config, [item], now, answers, range(1))
        answer = answers[0]
        if isinstance(answer, BaseException):
            raise answer
        self.growth.counted(1)
        return answer

    async def _start_flushes(self, lane: _Lane) -> None:
        """Starts the lane's flushes while events are queued, at most ``concurrency`` at a
        time: while one flush waits for PostgreSQL, the next is prepared and classified."""
        try:
            while lane.queue:
                if len(lane.flushes) >= self.concurrency:
                    await self._slot_freed(lane)
                    continue
                await self._gather(lane)
                group = self._take(lane)
                if not group:  # every queued event waits for its customer's flush
                    await self._slot_freed(lane)
                    continue
                for queued in group:
                    lane.customers.add(queued.item.event.customer_id)
                    lane.ids.add(queued.item.event.event_id)
                lane.flushes.add(asyncio.create_task(self._flush(lane, group)))
        finally:
            lane.starter = None

    @staticmethod
    async def _slot_freed(lane: _Lane) -> None:
        lane.freed.clear()
        await lane.freed.wait()

    async def _gather(self, lane: _Lane) -> None:
        """Waits, up to the wait, for as many events as recent flushes held."""
        wanted = min(self.max_events, round(lane.typical))
        if wanted <= 1 or len(lane.queue) >= wanted:
            return
        deadline = lane.queue[0].queued_at + self.wait_s
        while len(lane.queue) < wanted:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return
            lane.arrived.clear()
            try:
                await asyncio.wait_for(lane.arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self, lane: _Lane) -> list[_Queued]:
        """The next flush, in arrival order: at most one event per customer and per id, and
        none of a customer or id a flush in progress holds."""
        group: list[_Queued] = []
        left: deque[_Queued] = deque()
        customers: set[str] = set(lane.customers)
        ids: set[str] = set(lane.ids)
        while lane.queue:
            queued = lane.queue.popleft()
            event = queued.item.event
            if (
                len(group) < self.max_events
                and event.customer_id not in customers
                and event.event_id not in ids
            ):
                group.append(queued)
                customers.add(event.customer_id)
                ids.add(event.event_id)
            else:
                left.append(queued)
        lane.queue = left
        return group

    async def _flush(self, lane: _Lane, group: list[_Queued]) -> None:
        started = time.perf_counter()
        self.metrics.event_flush_size.observe(len(group))
        self.metrics.event_flush_wait.observe(started - group[0].queued_at)
        lane.typical += _COMPANY_MEMORY * (len(group) - lane.typical)
        # The newest configuration any of them came with (the flush checks it is current).
        config = max((q.config for q in group), key=lambda c: c.version)
        if lane.config is not None and lane.config.version > config.version:
            config = lane.config
        now = self.clock.now()
        answers: list[Outcome | BaseException] = [RuntimeError("not answered")] * len(group)
        try:
            async with self.pool.acquire() as raw:
                lane.config = await self._settle(
                    raw, config, [q.item for q in group], now, answers, range(len(group))
                )
        except Exception as error:  # no connection to be had: every event fails with that
            answers = [error] * len(group)
        finally:
            # Its slot, customers and ids are free before the starter next looks at them.
            lane.flushes.discard(asyncio.current_task())
            for queued in group:
                lane.customers.discard(queued.item.event.customer_id)
                lane.ids.discard(queued.item.event.event_id)
            lane.freed.set()
        self.growth.counted(sum(not isinstance(answer, BaseException) for answer in answers))
        for queued, answer in zip(group, answers, strict=True):
            if queued.future.done():
                continue
            if isinstance(answer, BaseException):
                queued.future.set_exception(answer)
            else:
                queued.future.set_result(answer)
        self.metrics.event_flush_seconds.observe(time.perf_counter() - started)

    async def _settle(
        self,
        raw: RawConnection,
        config: WorkspaceConfig,
        items: Sequence[flush.Submitted],
        now: datetime,
        answers: list[Outcome | BaseException],
        where: range,
    ) -> WorkspaceConfig:
        """Runs ``items`` (at ``where`` in ``answers``) as one flush, or in halves until each
        error belongs to the one event it fails alone; returns the configuration it ended
        under."""
        for attempt in range(1, flush.TRANSIENT_ATTEMPTS + 1):
            try:
                results, config = await flush.write(
                    raw, self.engine, self.configs, config, items, now
                )
            except Exception as error:
                if _connection_lost(error) or raw.is_closed():
                    for index in where:
                        answers[index] = error
                    return config
                if flush.transient(error) and attempt < flush.TRANSIENT_ATTEMPTS:
                    continue
                if len(items) == 1:
                    answers[where[0]] = error
                    return config
                half = len(items) // 2
                config = await self._settle(raw, config, items[:half], now, answers, where[:half])
                return await self._settle(raw, config, items[half:], now, answers, where[half:])
            for index, result in zip(where, results, strict=True):
                answers[index] = result
            return config
        raise AssertionError("unreachable")


def _connection_lost(error: Exception) -> bool:
    """A lost or refused connection, or a server shutting down: nothing an event did."""
    if isinstance(error, asyncpg.InterfaceError | OSError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(error, asyncpg.PostgresError) and (
        sqlstate is None or sqlstate[:2] in ("08", "57")
    )


def _retrieve(future: asyncio.Future[Outcome]) -> None:
    if not future.cancelled():
        future.exception()
