"""The delivery worker against a real receiver on 127.0.0.1 and a real PostgreSQL; time moves
by the frozen clock, never by sleeping."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from ipaddress import IPv6Address
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import RowMapping, text
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.clock import FrozenClock
from app.observability import Metrics
from app.webhooks import TIER_CHANGED, outbox
from app.webhooks import worker as worker_module
from app.webhooks.guard import Target
from app.webhooks.sender import EXCERPT_BYTES, pinned
from app.webhooks.worker import DeliveryWorker
from tests.conftest import T0, sealed
from tests.webhooks.conftest import SCHEDULE, WorkerFactory
from tests.webhooks.receiver import Receiver, Reply


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


async def add_endpoint(
    app: Any,
    workspace_id: UUID,
    url: str,
    secret: str | None = None,
    previous_secret: str | None = None,
    previous_secret_expires_at: datetime | None = None,
) -> UUID:
    async with app.state.engine.begin() as conn:
        endpoint_id: UUID = (
            await conn.execute(
                text(
                    "INSERT INTO webhook_endpoints (workspace_id, id, url, event_types, enabled, "
                    "secret, previous_secret, previous_secret_expires_at, created_at, updated_at) "
                    "VALUES (:ws, gen_random_uuid(), :url, ARRAY[:type], true, :secret, "
                    ":previous, :expires, :now, :now) RETURNING id"
                ),
                {
                    "ws": workspace_id,
                    "url": url,
                    "type": TIER_CHANGED,
                    "secret": sealed(secret or new_secret()),
                    "previous": previous_secret and sealed(previous_secret),
                    "expires": previous_secret_expires_at,
                    "now": T0,
                },
            )
        ).scalar_one()
    return endpoint_id


async def enqueue(
    app: Any, workspace_id: UUID, clock: FrozenClock, *endpoints: UUID, customer: str = "c1"
) -> UUID:
    async with app.state.engine.begin() as conn:
        message_id = await outbox.enqueue(
            conn,
            workspace_id,
            TIER_CHANGED,
            customer,
            {"customer_id": customer, "to_tier": "gold"},
            clock.now(),
            list(endpoints),
        )
    assert message_id is not None
    return message_id


async def fetch_one(app: Any, sql: str, **params: Any) -> RowMapping:
    async with app.state.engine.connect() as conn:
        row: RowMapping = (await conn.execute(text(sql), params)).mappings().one()
    return row


async def fetch_all(app: Any, sql: str, **params: Any) -> list[RowMapping]:
    async with app.state.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).mappings())


async def delivery(app: Any, message_id: UUID, endpoint_id: UUID) -> RowMapping:
    return await fetch_one(
        app,
        "SELECT * FROM webhook_deliveries WHERE message_id = :msg AND endpoint_id = :ep",
        msg=message_id,
        ep=endpoint_id,
    )


async def attempts(app: Any, message_id: UUID) -> list[RowMapping]:
    return await fetch_all(
        app, "SELECT * FROM webhook_attempts WHERE message_id = :msg ORDER BY seq", msg=message_id
    )


async def endpoint(app: Any, endpoint_id: UUID) -> RowMapping:
    return await fetch_one(app, "SELECT * FROM webhook_endpoints WHERE id = :ep", ep=endpoint_id)


async def test_a_message_is_delivered_once_signed_in_the_standard_webhooks_format(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    secret = new_secret()
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url(), secret)
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    worker = make_worker()

    assert await worker.deliver_due() == 1
    clock.advance(timedelta(days=1))
    assert await worker.deliver_due() == 0

    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"] == receiver.url().split("/")[2]
    assert request.headers["webhook-id"] == str(message_id)
    sent_at = int(request.headers["webhook-timestamp"])
    assert abs(sent_at - datetime.now(UTC).timestamp()) < 60  # the wall clock, not the test's
    assert len(request.headers["webhook-signature"].split(" ")) == 1
    verified = Webhook(secret).verify(request.body, request.headers)
    seq = (await fetch_one(app, "SELECT seq FROM webhook_messages WHERE id = :id", id=message_id))[
        "seq"
    ]
    assert (
        verified
        == json.loads(request.body)
        == {
            "type": TIER_CHANGED,
            "timestamp": "2026-11-20T12:00:00Z",
            "data": {"customer_id": "c1", "to_tier": "gold", "sequence": seq},
        }
    )
    row = await delivery(app, message_id, endpoint_id)
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("delivered", 1, T0)
    assert (row["leased_until"], row["last_status_code"]) == (None, 200)


async def test_each_endpoint_gets_its_own_delivery_with_the_same_webhook_id(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    secrets = {"/a": new_secret(), "/b": new_secret()}
    endpoints = [
        await add_endpoint(app, workspace_id, receiver.url(p), s) for p, s in secrets.items()
    ]
    message_id = await enqueue(app, workspace_id, clock, *endpoints)

    assert await make_worker().deliver_due() == 2

    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"]
    for request in receiver.requests:
        assert request.headers["webhook-id"] == str(message_id)
        Webhook(secrets[request.path]).verify(request.body, request.headers)
        other = secrets["/b" if request.path == "/a" else "/a"]
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(request.body, request.headers)
    for endpoint_id in endpoints:
        assert (await delivery(app, message_id, endpoint_id))["status"] == "delivered"


async def test_a_failed_attempt_is_retried_on_the_schedule_with_jitter(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(Reply(500), Reply(500))
    worker = make_worker()

    for attempt, wait in enumerate(SCHEDULE[1:], start=1):
        assert await worker.deliver_due() == 1
        row = await delivery(app, message_id, endpoint_id)
        assert (row["status"], row["attempts"], row["last_status_code"]) == (
            "pending",
            attempt,
            500,
        )
        now = clock.now()
        due = row["next_attempt_at"]
        assert now + timedelta(seconds=wait) <= due <= now + timedelta(seconds=wait * 1.1)
        clock.set(due - timedelta(seconds=1))
        assert await worker.deliver_due() == 0
        clock.set(due)

    assert await worker.deliver_due() == 1
    assert len(receiver.requests) == 3
    row = await delivery(app, message_id, endpoint_id)
    assert (row["status"], row["attempts"]) == ("delivered", 3)
    assert [a["status_code"] for a in await attempts(app, message_id)] == [500, 500, 200]


async def test_after_the_last_attempt_the_delivery_fails_and_metrics_count_it(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    delivered = await enqueue(app, workspace_id, clock, endpoint_id)
    metrics = Metrics()
    worker = make_worker(metrics, webhook_retry_schedule=[0.0, 60.0])
    assert await worker.deliver_due() == 1

    given_up = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.default = Reply(500)
    assert await worker.deliver_due() == 1
    clock.advance(timedelta(seconds=66))
    assert await worker.deliver_due() == 1
    clock.advance(timedelta(days=30))
    assert await worker.deliver_due() == 0

    assert (await delivery(app, delivered, endpoint_id))["status"] == "delivered"
    row = await delivery(app, given_up, endpoint_id)
    assert (row["status"], row["attempts"], row["leased_until"]) == ("failed", 2, None)
    assert len(receiver.requests) == 3

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert sample("tierline_webhook_deliveries_total", outcome="delivered") == 1
    assert sample("tierline_webhook_deliveries_total", outcome="failed") == 1
    assert sample("tierline_webhook_retries_total") == 1
    assert sample("tierline_webhook_delivery_seconds_count") == 3


async def test_a_redirect_is_a_failure_and_is_not_followed(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(Reply(302, headers={"Location": receiver.url("/elsewhere")}))

    assert await make_worker().deliver_due() == 1

    assert [r.path for r in receiver.requests] == ["/hook"]
    row = await delivery(app, message_id, endpoint_id)
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 1, 302)


async def test_410_gone_disables_the_endpoint_at_once(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(Reply(410))
    worker = make_worker()

    assert await worker.deliver_due() == 1

    disabled = await endpoint(app, endpoint_id)
    assert disabled["enabled"] is False
    assert disabled["disabled_at"] == T0
    assert disabled["disabled_reason"] == "the endpoint answered 410 Gone at 2026-11-20T12:00:00Z"
    # A disabled endpoint's deliveries wait, pending, until it is enabled again.
    clock.advance(timedelta(days=1))
    assert await worker.deliver_due() == 0
    assert (await delivery(app, message_id, endpoint_id))["status"] == "pending"
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text("UPDATE webhook_endpoints SET enabled = true WHERE id = :ep"), {"ep": endpoint_id}
        )
    assert await worker.deliver_due() == 1
    assert (await delivery(app, message_id, endpoint_id))["status"] == "delivered"


def _http_date(seconds_from_now: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "low", "high"),
    [
        (429, lambda: "120", 120, 120),
        (503, lambda: _http_date(120), 110, 121),
        (503, lambda: "100000", 600, 600),  # capped at the schedule's longest wait
        (429, lambda: "1", 60, 60),  # never shorter than the schedule
        (500, lambda: "120", 60, 60),  # only 429 and 503 are asked to wait
    ],
    ids=["429-seconds", "503-http-date", "503-capped", "429-shorter", "500-ignored"],
)
async def test_retry_after_is_honoured_on_429_and_503(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
    status: int,
    retry_after: Callable[[], str],
    low: int,
    high: int,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(Reply(status, headers={"Retry-After": retry_after()}))

    assert await make_worker(jitter=lambda: 1.0).deliver_due() == 1

    due = (await delivery(app, message_id, endpoint_id))["next_attempt_at"]
    assert T0 + timedelta(seconds=low) <= due <= T0 + timedelta(seconds=high)


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(delay=10), "ReadTimeout"),
        (Reply(close=True), "RemoteProtocolError: Server disconnected without sending a response"),
    ],
    ids=["read-timeout", "closed-connection"],
)
async def test_no_answer_is_a_failure_with_the_error_recorded(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
    reply: Reply,
    error: str,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(reply)

    assert await make_worker(webhook_read_timeout=0.3).deliver_due() == 1

    [attempt] = await attempts(app, message_id)
    assert attempt["status_code"] is None
    assert error in attempt["error"]
    row = await delivery(app, message_id, endpoint_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 1, attempt["error"])


async def test_nothing_is_lost_through_a_receiver_outage(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    receiver.default = Reply(503)
    worker = make_worker(webhook_retry_schedule=[0.0, 60.0, 60.0, 60.0, 60.0, 60.0])
    sent: list[UUID] = []
    for _ in range(3):
        sent.append(await enqueue(app, workspace_id, clock, endpoint_id))
        sent.append(await enqueue(app, workspace_id, clock, endpoint_id, customer="c2"))
        await worker.deliver_due()
        clock.advance(timedelta(seconds=66))
    assert (await endpoint(app, endpoint_id))["failing_since"] == T0

    receiver.default = Reply(200)
    while await worker.deliver_due():
        pass

    accepted = [r.headers["webhook-id"] for r in receiver.requests if r.reply.status == 200]
    assert sorted(accepted) == sorted(str(m) for m in sent)
    for message_id in sent:
        assert (await delivery(app, message_id, endpoint_id))["status"] == "delivered"
    assert (await endpoint(app, endpoint_id))["failing_since"] is None


async def test_an_endpoint_whose_deliveries_fail_for_five_days_is_disabled(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.default = Reply(500)
    worker = make_worker(jitter=lambda: 1.0, webhook_retry_schedule=[0.0] + [86400.0] * 10)

    for _ in range(5):  # attempts at T0 and after 1, 2, 3 and 4 days
        assert await worker.deliver_due() == 1
        assert (await endpoint(app, endpoint_id))["enabled"] is True
        clock.advance(timedelta(days=1))
    assert await worker.deliver_due() == 1

    disabled = await endpoint(app, endpoint_id)
    assert disabled["enabled"] is False
    assert disabled["disabled_at"] == T0 + timedelta(days=5)
    assert disabled["disabled_reason"] == "every delivery failed since 2026-11-20T12:00:00Z"
    assert (await delivery(app, message_id, endpoint_id))["status"] == "pending"


async def test_the_previous_secret_signs_beside_the_new_one_for_24_hours(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    old, new = new_secret(), new_secret()
    endpoint_id = await add_endpoint(
        app, workspace_id, receiver.url(), new, old, T0 + timedelta(hours=24)
    )
    worker = make_worker()
    await enqueue(app, workspace_id, clock, endpoint_id)
    assert await worker.deliver_due() == 1
    clock.advance(timedelta(hours=24))
    await enqueue(app, workspace_id, clock, endpoint_id)
    assert await worker.deliver_due() == 1

    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_a_claim_never_recorded_is_retried_after_its_lease(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    crashed, survivor = make_worker(), make_worker()
    [lost] = await crashed.queue.claim(10)  # ... and the worker dies before sending

    assert await survivor.deliver_due() == 0
    lease = timedelta(seconds=survivor.settings.webhook_lease_seconds)
    clock.advance(lease - timedelta(seconds=1))
    assert await survivor.deliver_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await survivor.deliver_due() == 1

    assert len(receiver.requests) == 1
    assert (await delivery(app, message_id, endpoint_id))["status"] == "delivered"
    # A worker that only stalled sends too late (at least once), but its lease is gone:
    # it records nothing over the survivor's outcome.
    await crashed.attempt(lost)
    assert len(receiver.requests) == 2
    assert len(await attempts(app, message_id)) == 1
    assert (await delivery(app, message_id, endpoint_id))["attempts"] == 1


async def test_deliveries_in_flight_to_one_endpoint_never_exceed_its_bound(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    slow = await add_endpoint(app, workspace_id, receiver.url("/slow"))
    other = await add_endpoint(app, workspace_id, receiver.url("/other"))
    receiver.default = Reply(delay=0.3)
    slow_messages = [await enqueue(app, workspace_id, clock, slow) for _ in range(7)]
    first, second = (make_worker(webhook_endpoint_concurrency=2) for _ in range(2))

    busy = asyncio.create_task(first.deliver_due())
    await receiver.wait_for(2)
    other_message = await enqueue(app, workspace_id, clock, other)
    # The slow endpoint has its two in flight; the other endpoint still gets a worker.
    assert await second.deliver_due() == 1
    assert await busy == 2
    assert (await delivery(app, other_message, other))["status"] == "delivered"

    async def drain(worker: DeliveryWorker) -> None:
        undelivered = (
            "SELECT count(*) AS n FROM webhook_deliveries "
            "WHERE endpoint_id = :ep AND status <> 'delivered'"
        )
        while (await fetch_one(app, undelivered, ep=slow))["n"]:
            if not await worker.deliver_due():
                await asyncio.sleep(0.05)  # the other worker has them in flight

    await asyncio.gather(drain(first), drain(second))
    assert receiver.peak_in_flight["/slow"] == 2
    slow_ids = [r.headers["webhook-id"] for r in receiver.requests if r.path == "/slow"]
    assert sorted(slow_ids) == sorted(str(m) for m in slow_messages)


async def test_the_guard_refuses_a_loopback_url_at_delivery_time(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)

    assert await make_worker(webhook_allowed_networks=[]).deliver_due() == 1

    assert receiver.requests == []
    [attempt] = await attempts(app, message_id)
    assert attempt["status_code"] is None
    assert "loopback" in attempt["error"]
    assert "TIERLINE_WEBHOOK_ALLOWED_NETWORKS" in attempt["error"]
    row = await delivery(app, message_id, endpoint_id)
    assert (row["status"], row["attempts"]) == ("pending", 1)


async def test_attempts_record_status_latency_and_a_bounded_excerpt(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    receiver.reply(Reply(500, body=b"boom\x00"), Reply(200, body=b"ok " * 100_000))
    worker = make_worker()

    assert await worker.deliver_due() == 1
    clock.advance(timedelta(seconds=66))
    assert await worker.deliver_due() == 1

    failed, delivered = await attempts(app, message_id)
    assert (failed["status_code"], failed["response_excerpt"], failed["error"]) == (
        500,
        "boom\ufffd",
        None,
    )
    assert failed["attempted_at"] == T0
    assert delivered["status_code"] == 200
    assert len(delivered["response_excerpt"]) == EXCERPT_BYTES
    assert delivered["response_excerpt"].startswith("ok ok ")
    assert all(a["latency_ms"] > 0 for a in (failed, delivered))


def test_a_request_goes_to_the_checked_address_under_its_host_name() -> None:
    address = IPv6Address("2001:db8::1")
    url, host, extensions = pinned(
        "https://hooks.example.com:8443/in?x=1",
        Target("https", "hooks.example.com", 8443, address),
    )
    assert url == "https://[2001:db8::1]:8443/in?x=1"
    assert host == "hooks.example.com:8443"
    assert extensions == {"sni_hostname": "hooks.example.com"}

    url, host, extensions = pinned(
        "http://hooks.example.com/in", Target("http", "hooks.example.com", 80, address)
    )
    assert (url, host, extensions) == ("http://[2001:db8::1]/in", "hooks.example.com", {})


async def test_run_wakes_on_notify_and_finishes_in_flight_deliveries_on_stop(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    receiver: Receiver,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Longer than the waits below: only a NOTIFY can wake the worker in time.
    monkeypatch.setattr(worker_module, "POLL_SECONDS", 120.0)
    endpoint_id = await add_endpoint(app, workspace_id, receiver.url())
    stop = asyncio.Event()
    running = asyncio.create_task(make_worker(Metrics()).run(stop))
    try:
        first = await enqueue(app, workspace_id, clock, endpoint_id)
        for _ in range(600):
            if (await delivery(app, first, endpoint_id))["status"] == "delivered":
                break
            await asyncio.sleep(0.05)
        # The worker is idle now: the next message reaches it by NOTIFY or not at all.
        receiver.default = Reply(delay=1.0)
        second = await enqueue(app, workspace_id, clock, endpoint_id)
        await receiver.wait_for(2)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)

    for message_id in (first, second):
        assert (await delivery(app, message_id, endpoint_id))["status"] == "delivered"
