"""The in-process job worker: runs job chunks while there are any, workspace after workspace,
else waits a little."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app.clock import Clock
from app.jobs.service import Rotation, run_one_chunk

logger = logging.getLogger(__name__)

IDLE_WAIT_SECONDS = 1.0


async def work(engine: AsyncEngine, clock: Clock, stop: asyncio.Event) -> None:
    rotation = Rotation()
    while not stop.is_set():
        try:
            busy = await run_one_chunk(engine, clock, rotation)
        except Exception:
            logger.exception("job worker error; retrying shortly")
            busy = False
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=IDLE_WAIT_SECONDS)
