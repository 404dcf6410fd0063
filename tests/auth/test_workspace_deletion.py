"""A deleted workspace: its webhooks stop at once and its unfinished jobs are dropped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.webhooks.worker import DeliveryWorker
from tests.conftest import T0, bearer
from tests.jobs.conftest import new_workspace
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme, scheme
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_endpoints import allow_loopback


async def populated_workspace(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, url: str
) -> tuple[UUID, str]:
    """A workspace with a scheme, customers, tier history and a webhook endpoint to ``url``,
    with a delivery due to it."""
    workspace_id, key = await new_workspace(client, admin_key, "gone")
    await put_scheme(client, key, VALUE)
    await run_until_idle(app.state.engine, clock)
    created = await client.post(
        "/v1/webhooks/endpoints",
        json={"url": url, "event_types": ["customer.tier_changed"]},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    await order(client, key, "o1", "100.00", T0, customer_id="c1")
    await order(client, key, "o2", "6000.00", T0, customer_id="c2")
    return workspace_id, key


async def delete(client: httpx.AsyncClient, admin_key: str, workspace_id: UUID) -> None:
    response = await client.delete(f"/v1/workspaces/{workspace_id}", headers=bearer(admin_key))
    assert response.status_code == 204, response.text


async def test_a_deleted_workspace_gets_no_delivery_attempt_after_its_deletion(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
) -> None:
    allow_loopback(app)
    worker = DeliveryWorker(app.state.engine, clock, app.state.settings, None)
    async with Receiver() as receiver:
        workspace_id, _ = await populated_workspace(app, client, admin_key, clock, receiver.url())
        await delete(client, admin_key, workspace_id)

        assert await worker.deliver_due() == 0
        async with app.state.engine.begin() as conn:
            cancelled = (
                await conn.execute(
                    text(
                        "SELECT status, last_error FROM webhook_deliveries WHERE workspace_id = :ws"
                    ),
                    {"ws": workspace_id},
                )
            ).all()
            assert [tuple(row) for row in cancelled] == [
                ("failed", "The workspace was deleted.")
            ] * 2
            # A delivery its last writes queued as it was deleted is not sent either.
            await conn.execute(
                text("UPDATE webhook_deliveries SET status = 'pending' WHERE workspace_id = :ws"),
                {"ws": workspace_id},
            )
        assert await worker.deliver_due() == 0
        clock.advance(timedelta(hours=1))
        assert await worker.deliver_due() == 0
    await worker.aclose()
    assert receiver.requests == []


async def test_a_deleted_workspace_unfinished_jobs_are_cancelled(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    workspace_id, key = await new_workspace(client, admin_key, "gone")
    saved = await put_scheme(client, key, scheme())
    await delete(client, admin_key, workspace_id)
    assert await run_until_idle(app.state.engine, clock) == 0
    async with app.state.engine.connect() as conn:
        job = (
            await conn.execute(
                text("SELECT status, error FROM jobs WHERE workspace_id = :ws AND id = :id"),
                {"ws": workspace_id, "id": saved["job_id"]},
            )
        ).one()
    assert tuple(job) == ("cancelled", "The workspace was deleted.")
