"""Fixtures of the webhook tests: a receiver on 127.0.0.1 and delivery workers allowed to
reach it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from ipaddress import ip_network
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.observability import Metrics
from app.settings import Settings
from app.webhooks.worker import DeliveryWorker
from tests.webhooks.receiver import Receiver

SCHEDULE = [0.0, 60.0, 600.0]
WorkerFactory = Callable[..., DeliveryWorker]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


@pytest.fixture
async def workspace_id(app: Any, admin_key: str) -> UUID:
    async with app.state.engine.connect() as conn:
        found: UUID = (await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()
    return found


@pytest.fixture
async def make_worker(
    app: Any, clock: FrozenClock, settings: Settings
) -> AsyncIterator[WorkerFactory]:
    """Workers allowed to reach 127.0.0.0/8, on a short schedule, closed after the test."""
    made: list[DeliveryWorker] = []

    def make(
        metrics: Metrics | None = None, jitter: Callable[[], float] | None = None, **changes: Any
    ) -> DeliveryWorker:
        update = {
            "webhook_allowed_networks": [ip_network("127.0.0.0/8")],
            "webhook_retry_schedule": SCHEDULE,
            **changes,
        }
        options = {} if jitter is None else {"jitter": jitter}
        worker = DeliveryWorker(
            app.state.engine, clock, settings.model_copy(update=update), metrics, **options
        )
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.aclose()
