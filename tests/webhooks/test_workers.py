"""`tierline worker`: webhook delivery from two separate processes, as when scaled out."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import text

from app.clock import FrozenClock
from app.webhooks import TIER_CHANGED, outbox
from tests.webhooks.receiver import Receiver, Reply
from tests.webhooks.test_delivery import add_endpoint
from tests.worker_processes import worker_processes

MESSAGES = 200
BATCH = 20


async def _undelivered(app: Any) -> int:
    async with app.state.engine.connect() as conn:
        count: int = (
            await conn.execute(
                text("SELECT count(*) FROM webhook_deliveries WHERE status <> 'delivered'")
            )
        ).scalar_one()
    return count


async def test_two_worker_processes_deliver_every_message_exactly_once(
    app: Any, admin_key: str, clock: FrozenClock, database_url: str, tmp_path: Path
) -> None:
    # The workers run on the system clock: messages must be due by it.
    clock.set(datetime.now(UTC))
    async with app.state.engine.connect() as conn:
        workspace_id: UUID = (await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()

    async with Receiver(Reply(delay=0.01)) as receiver:
        endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
        settings = {
            "TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "TIERLINE_WEBHOOK_RETRY_SCHEDULE": "0,1,1,1",
        }
        async with worker_processes(database_url, tmp_path, settings) as workers:
            sent: list[UUID] = []
            for start in range(0, MESSAGES, BATCH):
                async with app.state.engine.begin() as conn:
                    for n in range(start, start + BATCH):
                        message_id = await outbox.enqueue(
                            conn,
                            workspace_id,
                            TIER_CHANGED,
                            f"c{n:03d}",
                            {"customer_id": f"c{n:03d}", "to_tier": "gold"},
                            clock.now(),
                            [endpoint_id],
                        )
                        assert message_id is not None
                        sent.append(message_id)
            for _ in range(1800):
                if not await _undelivered(app):
                    break
                workers.check_alive()
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # room for a second, wrong delivery to show up

    assert workers.exit_codes == [0, 0]  # SIGTERM is a clean stop
    assert await _undelivered(app) == 0
    received = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert received == Counter(str(message_id) for message_id in sent)
    assert receiver.peak_in_flight["/hook"] <= 4  # the endpoint's bound, across processes
