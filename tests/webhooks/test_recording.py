"""Delivered outcomes that come together are recorded together, each only if its lease is
still the worker's, and each asking for a successor takes over its place at the endpoint."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any
from uuid import UUID

from app.clock import FrozenClock
from app.webhooks.attempt import Outcome
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, attempts, delivery, enqueue


async def test_delivered_outcomes_are_recorded_together_with_their_successors_leased(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    sent = [await enqueue(app, workspace_id, clock, endpoint_id) for _ in range(6)]
    queue = make_worker(webhook_endpoint_concurrency=4).queue
    claims = await queue.claim(10)
    assert len(claims) == 4
    delivered = Outcome(clock.now(), status_code=200, latency=0.01, excerpt="ok")
    # Its lease ran out and was taken again: this outcome is not the worker's to write.
    stale = dataclasses.replace(claims[3], lease=claims[3].lease - timedelta(seconds=1))

    recorded = await asyncio.gather(
        queue.record(claims[0], delivered, hand_off=True),
        queue.record(claims[1], delivered, hand_off=True),
        queue.record(claims[2], delivered, hand_off=False),
        queue.record(stale, delivered, hand_off=True),
    )

    assert [r.status for r in recorded] == ["delivered", "delivered", "delivered", None]
    successors = [r.following for r in recorded[:2]]
    assert recorded[2].following is None and recorded[3].following is None
    assert sorted(s.message_id for s in successors if s is not None) == sorted(sent[4:])
    for claim in claims[:3]:
        row = await delivery(app, claim.message_id, endpoint_id)
        assert (row["status"], row["attempts"], row["leased_until"]) == ("delivered", 1, None)
        [attempt] = await attempts(app, claim.message_id)
        assert (attempt["status_code"], attempt["response_excerpt"]) == (200, "ok")
    row = await delivery(app, claims[3].message_id, endpoint_id)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    for successor in successors:
        assert successor is not None
        row = await delivery(app, successor.message_id, endpoint_id)
        assert (row["status"], row["leased_until"]) == ("pending", successor.lease)
