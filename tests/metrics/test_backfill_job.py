"""A metric backfill runs chunk by chunk while events keep arriving, and loses nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_one_chunk, run_until_idle
from app.metrics import repository as metrics_repository
from app.metrics import service as metrics_service
from tests.conftest import bearer
from tests.events.test_ingest import event
from tests.metrics.test_definitions import TICKETS, put_metric


async def ticket(client: httpx.AsyncClient, key: str, customer: str, event_id: str) -> None:
    response = await client.post(
        "/v1/events",
        json=event(
            event_id=event_id,
            customer_id=customer,
            type="support_ticket",
            amount=None,
            currency=None,
        ),
        headers=bearer(key),
    )
    assert response.status_code == 201, response.text


async def test_backfill_interleaved_with_ingestion_counts_every_event_once(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics_service, "BACKFILL_CHUNK", 2)
    sent: dict[str, int] = {}

    async def send(customer: str) -> None:
        sent[customer] = sent.get(customer, 0) + 1
        await ticket(client, admin_key, customer, f"{customer}-{sent[customer]}")

    for customer in ("b", "d", "f", "h", "j"):
        for _ in range(2):
            await send(customer)
    job_id = (await put_metric(client, admin_key, "tickets_90d", TICKETS)).json()["job_id"]

    assert await run_one_chunk(app.state.engine, clock)  # b, d
    for customer in ("b", "f", "a", "z"):  # done, not yet done, new before and after the cursor
        await send(customer)
    pending = (await client.get("/v1/customers/f", headers=bearer(admin_key))).json()
    assert pending["metrics"]["tickets_90d"] is None
    job = (await client.get(f"/v1/jobs/{job_id}", headers=bearer(admin_key))).json()
    assert (job["status"], job["progress"]["done"], job["progress"]["total"]) == (
        "running",
        2,
        5,
    )

    assert await run_one_chunk(app.state.engine, clock)  # f, h
    for customer in ("d", "h", "j", "c"):
        await send(customer)
    await run_until_idle(app.state.engine, clock)

    job = (await client.get(f"/v1/jobs/{job_id}", headers=bearer(admin_key))).json()
    assert job["status"] == "succeeded"
    for customer, count in sent.items():
        customer_view = (
            await client.get(f"/v1/customers/{customer}", headers=bearer(admin_key))
        ).json()
        assert customer_view["pending_metrics"] == []
        assert customer_view["metrics"]["tickets_90d"] == count, customer
        assert customer_view["metrics"]["support_ticket_count"] == count


async def test_a_failing_job_is_recorded_and_does_not_stop_the_worker(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await ticket(client, admin_key, "a", "a-1")
    job_id = (await put_metric(client, admin_key, "tickets_90d", TICKETS)).json()["job_id"]

    async def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(metrics_repository, "recompute_source", broken)
    assert await run_until_idle(app.state.engine, clock) == 1
    job = (await client.get(f"/v1/jobs/{job_id}", headers=bearer(admin_key))).json()
    assert job["status"] == "failed"
    assert "disk on fire" not in job["error"]
    assert "see the server log" in job["error"]
    metric = (await client.get("/v1/metrics/tickets_90d", headers=bearer(admin_key))).json()
    assert metric["status"] == "pending"

    monkeypatch.undo()
    retried = (await put_metric(client, admin_key, "tickets_90d", TICKETS)).json()
    assert retried["job_id"] != job_id
    await run_until_idle(app.state.engine, clock)
    customer = (await client.get("/v1/customers/a", headers=bearer(admin_key))).json()
    assert customer["metrics"]["tickets_90d"] == 1
