"""The delivery worker: at-least-once, signed webhook deliveries, from any number of workers.

It claims due deliveries from the queue (``app.webhooks.queue``), posts each one
(``app.webhooks.sender``) with no transaction open, and records the outcome; it claims again
whenever a delivery ends, so a slow one never holds up the others. A NOTIFY on ``CHANNEL``
wakes it; it looks for due deliveries every ``POLL_SECONDS`` anyway, and on stop it finishes
the deliveries in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.clock import Clock
from app.db.engine import UNBOUNDED, Timeouts
from app.db.url import asyncpg_dsn
from app.observability import Metrics
from app.settings import Settings
from app.webhooks import CHANNEL
from app.webhooks.attempt import Claim
from app.webhooks.queue import DeliveryQueue, Recorded, default_jitter
from app.webhooks.sender import Sender

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""How long an idle worker waits for a NOTIFY before it looks for due deliveries anyway."""
RECONNECT_SECONDS = 5.0
QUEUE_DEPTH_EVERY_SECONDS = 5.0


class DeliveryWorker:
    """Delivers through its own queue and sender; ``aclose`` closes the sender's clients and
    the queue's raw connection. ``timeouts`` bound the statements of that connection (those of
    ``engine`` come with it)."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        settings: Settings,
        metrics: Metrics | None,
        timeouts: Timeouts = UNBOUNDED,
        /,
        *,
        jitter: Callable[[], float] = default_jitter,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.queue = DeliveryQueue(engine, clock, settings, jitter=jitter, timeouts=timeouts)
        self.sender = Sender(clock, settings)
        self._depth_counted_at = -QUEUE_DEPTH_EVERY_SECONDS

    async def aclose(self) -> None:
        await self.sender.aclose()
        await self.queue.aclose()

    async def deliver_due(self) -> int:
        """One pass: claims what is due, sends it all concurrently and records the outcomes;
        returns how many deliveries were attempted."""
        claims = await self.queue.claim(self.settings.webhook_worker_concurrency)
        await asyncio.gather(*(self.attempt(claim) for claim in claims))
        return len(claims)

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers until ``stop`` is set, then finishes the deliveries in flight. Claims
        again whenever a delivery ends, so a slow one never holds up the others."""
        wake = asyncio.Event()
        listener = asyncio.create_task(self._listen(wake))
        in_flight: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            wake.set()

        try:
            while not stop.is_set():
                wake.clear()
                started = 0
                try:
                    free = self.settings.webhook_worker_concurrency - len(in_flight)
                    claims = await self.queue.claim(free) if free > 0 else []
                    for claim in claims:
                        task = asyncio.create_task(
                            self.attempt(claim, hand_off=lambda: not stop.is_set())
                        )
                        in_flight.add(task)
                        task.add_done_callback(finished)
                    started = len(claims)
                    await self._count_queue_depth()
                except Exception:
                    logger.exception("webhook delivery error; retrying shortly")
                if not started:
                    await _wait_any(wake, stop, at_most=POLL_SECONDS)
            if in_flight:
                await asyncio.wait(in_flight)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.aclose()

    async def attempt(self, claim: Claim, *, hand_off: Callable[[], bool] = lambda: False) -> None:
        """Sends one claimed delivery and records the outcome; while ``hand_off()`` says so,
        goes on with the endpoint's next due deliveries as one slot. The slot keeps the
        delivery after the one it sends reserved, so once an answer is a success it sends the
        reserved one at once and records the answer meanwhile. Never raises: a delivery whose
        outcome could not be recorded is due again when its lease ends."""
        current: Claim | None = claim
        reserved: Claim | None = None
        recording: asyncio.Task[Recorded] | None = None
        while current is not None:
            try:
                outcome = await self.sender.send(current)
                if self.metrics is not None and outcome.latency > 0:
                    self.metrics.webhook_latency.observe(outcome.latency)
                if recording is not None:
                    reserved = self._recorded(await recording).reserved
                    recording = None
                going_on = hand_off()
                if outcome.delivered and going_on and reserved is not None:
                    promotion = self.queue.promote(reserved)
                    recording = asyncio.create_task(
                        self.queue.record(
                            current, outcome, hand_off=True, reserve=True, promotion=promotion
                        )
                    )
                    current, reserved = promotion.sending, None
                    continue
                recorded = await self.queue.record(
                    current, outcome, hand_off=going_on, reserve=going_on, release=reserved
                )
            except Exception:
                logger.exception("webhook delivery failed unexpectedly", extra=current.ids())
                if recording is not None:
                    with contextlib.suppress(Exception):
                        await recording
                return
            current, reserved = self._recorded(recorded).following, recorded.reserved
        if reserved is not None:  # the slot's current delivery lost its lease
            try:
                await self.queue.release(reserved)
            except Exception:
                logger.exception("webhook reservation not released", extra=reserved.ids())

    def _recorded(self, recorded: Recorded) -> Recorded:
        self._count(recorded.status)
        return recorded

    def _count(self, status: str | None) -> None:
        if self.metrics is None or status is None:
            return
        if status == "pending":
            self.metrics.webhook_retries.inc()
        else:
            self.metrics.webhook_deliveries.labels(status).inc()

    async def _count_queue_depth(self) -> None:
        if self.metrics is None:
            return
        if time.monotonic() - self._depth_counted_at < QUEUE_DEPTH_EVERY_SECONDS:
            return
        self._depth_counted_at = time.monotonic()
        self.metrics.webhook_queue_depth.set(await self.queue.depth())

    async def _listen(self, wake: asyncio.Event) -> None:
        """Sets ``wake`` on every NOTIFY on the webhook channel, over a connection of its own;
        reconnects when it is lost. Polling covers the gaps (and a missing database URL)."""
        if self.settings.database_url is None:
            return
        dsn = asyncpg_dsn(self.settings.database_url)
        while True:
            try:
                await _listen_once(dsn, wake)
                logger.warning("webhook listener lost its connection; reconnecting")
            except Exception as error:
                logger.warning("webhook listener failed (%s); reconnecting", error)
            await asyncio.sleep(RECONNECT_SECONDS)


async def _listen_once(dsn: str, wake: asyncio.Event) -> None:
    """Listens until the connection is lost."""
    conn = await asyncpg.connect(dsn)
    try:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, lambda *_: wake.set())
        wake.set()  # whatever was enqueued while nobody listened
        await lost.wait()
    finally:
        conn.terminate()


async def _wait_any(*events: asyncio.Event, at_most: float) -> None:
    waiters: Sequence[asyncio.Task[Any]] = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
