"""On Citus, the event path and the webhook worker run on one shard each statement: a statement
that fans out to every shard (one task per shard) costs every node a round trip per event.

Citus can log, or refuse, every statement run as several tasks
(``citus.multi_task_query_log_level``); set to ``error`` for the database, any such statement
fails the request or the delivery, and the test with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.clock import FrozenClock
from app.db.url import asyncpg_dsn
from app.jobs.service import run_until_idle
from app.webhooks.worker import DeliveryWorker
from tests.cluster import Server
from tests.conftest import T0, bearer
from tests.tiers.test_tier_lifecycle import VALUE, put_scheme
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_endpoints import LOOPBACK, allow_loopback

pytestmark = pytest.mark.citus


async def _refuse_multi_shard_statements(app: Any, url: str) -> None:
    """From now on, in every new session of the database; the app's pools start new ones."""
    name = make_url(url).database
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET citus.multi_task_query_log_level = error')
    finally:
        await conn.close()
    await app.state.engine.dispose()
    await app.state.raw_pool.expire_connections()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        with pytest.raises(asyncpg.PostgresError, match="multi-task"):
            await conn.fetchval("SELECT count(*) FROM customers")
    finally:
        await conn.close()


def _event(event_id: str, customer_id: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "customer_id": customer_id,
        "type": "order",
        "occurred_at": T0.isoformat(),
        "amount": amount,
        "currency": "EUR",
        **extra,
    }


async def test_events_and_deliveries_run_no_multi_shard_statement(
    server: Server,
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    database_url: str,
) -> None:
    if not server.citus:
        pytest.skip("needs a Citus cluster (TIERLINE_TEST_DATABASE_URL on its coordinator)")
    allow_loopback(app)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    async with Receiver() as receiver:
        created = await client.post(
            "/v1/webhooks/endpoints",
            json={"url": receiver.url(), "event_types": ["customer.tier_changed"]},
            headers=bearer(admin_key),
        )
        assert created.status_code == 201, created.text

        await _refuse_multi_shard_statements(app, database_url)

        # Single events, concurrent ones committed together, a replay, a trait removed.
        singles = [_event(f"o{i}", f"c{i % 5}", "100.00", traits={"t": i}) for i in range(20)]
        responses = await asyncio.gather(
            *(client.post("/v1/events", json=body, headers=bearer(admin_key)) for body in singles)
        )
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        replay = await client.post("/v1/events", json=singles[0], headers=bearer(admin_key))
        assert replay.status_code == 200, replay.text
        removed = _event("u1", "c1", "6000.00", traits={"t": None})
        response = await client.post("/v1/events", json=removed, headers=bearer(admin_key))
        assert response.status_code == 201, response.text
        # A batch.
        batch = [_event(f"b{i}", f"c{i}", "7000.00") for i in range(5)]
        response = await client.post(
            "/v1/events/batch", json={"events": batch}, headers=bearer(admin_key)
        )
        assert response.status_code == 200, response.text
        assert {r["status"] for r in response.json()["results"]} == {"created"}

        update = {"webhook_allowed_networks": LOOPBACK, "webhook_retry_schedule": [0.0, 60.0]}
        worker = DeliveryWorker(
            app.state.engine, clock, app.state.settings.model_copy(update=update), None
        )
        try:
            while await worker.deliver_due():
                pass
        finally:
            await worker.aclose()

        # Five customers became regular, then five VIP.
        assert len(receiver.requests) == 10
