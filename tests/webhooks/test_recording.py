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


async def test_a_slots_reserved_delivery_counts_toward_the_bound_only_once_it_is_sent(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    for _ in range(8):
        await enqueue(app, workspace_id, clock, endpoint_id)
    queue = make_worker(webhook_endpoint_concurrency=2).queue
    other = make_worker(webhook_endpoint_concurrency=2).queue
    first, second = await queue.claim(10)
    delivered = Outcome(clock.now(), status_code=200, latency=0.01, excerpt="ok")

    # The slot goes on with a successor to send and one more reserved.
    recorded = await queue.record(first, delivered, hand_off=True, reserve=True)
    following, reserved = recorded.following, recorded.reserved
    assert following is not None and reserved is not None
    assert (await delivery(app, following.message_id, endpoint_id))["reserved"] is False
    row = await delivery(app, reserved.message_id, endpoint_id)
    assert (row["status"], row["reserved"], row["leased_until"]) == (
        "pending",
        True,
        reserved.lease,
    )
    # Two are being sent: the endpoint is at its bound, the reservation aside.
    assert await other.claim(10) == []
    await queue.record(second, delivered, hand_off=False)
    [taken] = await other.claim(10)
    assert taken.message_id != reserved.message_id

    # The reserved one is sent as the successor's answer is recorded: counted from then on,
    # under the lease it is sent with, and the slot reserves the next one.
    clock.advance(timedelta(seconds=1))
    promotion = queue.promote(reserved)
    assert promotion.sending.lease > reserved.lease
    recorded = await queue.record(
        following, delivered, hand_off=True, reserve=True, promotion=promotion
    )
    assert recorded.status == "delivered" and recorded.following is None
    assert recorded.reserved is not None
    row = await delivery(app, reserved.message_id, endpoint_id)
    assert (row["reserved"], row["leased_until"]) == (False, promotion.sending.lease)
    assert await other.claim(10) == []  # the promoted one and `taken`: at the bound again

    # A failed answer gives the reservation back: due at once, for any worker.
    failed = Outcome(clock.now(), status_code=500, latency=0.01, excerpt="no")
    given_back = recorded.reserved
    recorded = await queue.record(
        promotion.sending, failed, hand_off=True, reserve=True, release=given_back
    )
    assert recorded.status == "pending" and recorded.reserved is None
    row = await delivery(app, given_back.message_id, endpoint_id)
    assert (row["reserved"], row["leased_until"], row["next_attempt_at"]) == (
        False,
        None,
        clock.now(),
    )


async def test_an_expired_reservation_is_not_promoted(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    for _ in range(3):
        await enqueue(app, workspace_id, clock, endpoint_id)
    queue = make_worker(webhook_endpoint_concurrency=1).queue
    [first] = await queue.claim(10)
    delivered = Outcome(clock.now(), status_code=200, latency=0.01, excerpt="ok")
    recorded = await queue.record(first, delivered, hand_off=True, reserve=True)
    assert recorded.following is not None and recorded.reserved is not None

    clock.advance(timedelta(seconds=queue.settings.webhook_lease_seconds + 1))
    promotion = queue.promote(recorded.reserved)
    await queue.record(recorded.following, delivered, hand_off=True, promotion=promotion)

    # Due again, as every expired lease: the slot's record of it will not be written.
    row = await delivery(app, recorded.reserved.message_id, endpoint_id)
    assert (row["reserved"], row["leased_until"]) == (True, recorded.reserved.lease)
    [retaken] = await make_worker(webhook_endpoint_concurrency=1).queue.claim(10)
    assert retaken.message_id == recorded.reserved.message_id
    row = await delivery(app, retaken.message_id, endpoint_id)
    assert (row["reserved"], row["leased_until"]) == (False, retaken.lease)
