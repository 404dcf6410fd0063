"""The README's walk-through, request by request, on the Citus cluster and on one PostgreSQL:
the responses are the same.

Each run gets a database of its own, on the cluster (the test's) and on the embedded
PostgreSQL, with the same frozen clock; ids, keys and secrets, which differ by nature, are
replaced by placeholders before the two are compared.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from app.auth import service as auth_service
from app.clock import FrozenClock
from app.db.embedded import start_embedded
from app.db.migrate import upgrade
from app.db.url import asyncpg_dsn, with_database
from app.jobs.service import run_until_idle
from app.main import create_app
from app.settings import Settings
from tests.cluster import Server
from tests.conftest import ROOT, T0, TEST_SECRET_KEY, bearer
from tests.tiers.test_tier_lifecycle import VALUE
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_endpoints import LOOPBACK

pytestmark = pytest.mark.citus

Step = tuple[str, str, int, Any]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KEY = re.compile(r"tl_[A-Za-z0-9_-]+")
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")
_PORT = re.compile(r"127\.0\.0\.1:\d+")
# The frozen clock's moments are whole seconds; the database's own now() (a workspace's
# created_at) is not.
_WALL_CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


# Measured, not computed: differs from run to run on any server.
_MEASURED = {"latency_ms"}


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<measured>" if k in _MEASURED else _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    if isinstance(value, str):
        for pattern, placeholder in (
            (_UUID, "<id>"),
            (_KEY, "<key>"),
            (_SECRET, "<secret>"),
            (_PORT, "127.0.0.1:<port>"),
            (_WALL_CLOCK, "<wall clock>"),
        ):
            value = pattern.sub(placeholder, value)
        return value
    return value


class _Walk:
    def __init__(self, app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock):
        self.app = app
        self.client = client
        self.key = key
        self.clock = clock
        self.steps: list[Step] = []

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.client.request(method, path, json=body, headers=bearer(self.key))
        content = (
            response.json()
            if response.headers.get("content-type", "").endswith("json")
            else response.text
        )
        shown = _placeholders(path)
        self.steps.append((method, shown, response.status_code, _placeholders(content)))
        return content

    async def idle(self) -> None:
        await run_until_idle(self.app.state.engine, self.clock)


def _event(event_id: str, customer: str, kind: str, day: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "customer_id": customer,
        "type": kind,
        "occurred_at": f"2026-11-{day:02d}T10:00:00Z",
        **extra,
    }


async def _walk(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> list[Step]:
    """A Short session, Schemes and tiers, Segments, Tier analytics, Webhooks, CLV and
    erasure, as the README shows them."""
    w = _Walk(app, client, key, clock)
    order = {"amount": "129.90", "currency": "EUR", "properties": {"channel": "store"}}
    first = _event("ord-1001", "crm-42", "order", 1, traits={"industry": "machinery"}, **order)
    await w.call("POST", "/v1/events", first)
    await w.call("POST", "/v1/events", first)
    await w.call("POST", "/v1/events", {**first, "amount": "1.00"})
    await w.call(
        "POST",
        "/v1/events/batch",
        {
            "events": [
                _event("v-1", "crm-42", "visit", 2),
                _event("r-1", "crm-42", "refund", 3, amount="-5"),
            ]
        },
    )
    await w.call("GET", "/v1/customers/crm-42")
    await w.call("GET", "/v1/customers/crm-42/events?limit=50")
    await w.call("POST", "/v1/api-keys", {"name": "crm-sync", "scopes": ["events:write"]})

    for i in range(12):
        customer = f"crm-{100 + i}"
        traits = {"industry": "machinery" if i % 2 else "retail", "email": f"{i}@example.com"}
        body = _event(f"h-{i}", customer, "order", 1 + i, amount=f"{400 * (i + 1)}.00")
        await w.call("POST", "/v1/events", {**body, "traits": traits})
        survey = _event(f"s-{i}", customer, "survey", 2 + i, properties={"score": i % 5})
        await w.call("POST", "/v1/events", survey)
    metric = {
        "event_type": "survey",
        "aggregation": "avg",
        "property": "properties.score",
        "window_days": 180,
    }
    await w.call("PUT", "/v1/metrics/satisfaction_180d", metric)
    await w.idle()
    await w.call("GET", "/v1/metrics")

    value = VALUE  # the README's scheme
    await w.call("PUT", "/v1/schemes/value", value)
    await w.idle()

    async with Receiver() as receiver:
        app.state.settings = app.state.settings.model_copy(
            update={"webhook_allowed_networks": LOOPBACK}
        )
        endpoint = await w.call(
            "POST",
            "/v1/webhooks/endpoints",
            {"url": receiver.url(), "event_types": ["customer.tier_changed"]},
        )
        w.clock.advance(timedelta(days=19))
        await w.call(
            "POST", "/v1/events", _event("ord-2001", "crm-7", "order", 20, amount="5200.00")
        )
        w.steps.append(("deliver", "", await _deliver(app, w.clock), None))
        messages = await w.call("GET", "/v1/webhooks/messages")
        message = messages["items"][0]["id"]
        await w.call("GET", f"/v1/webhooks/messages/{message}/attempts")
        await w.call("POST", f"/v1/webhooks/messages/{message}/replay")
        await w.call(
            "POST",
            f"/v1/webhooks/endpoints/{endpoint['id']}/recover?since=2026-11-01T00:00:00Z",
        )
        await w.call("POST", f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret")
        w.steps.append(("deliver", "", await _deliver(app, w.clock), None))
        w.steps.append(("received", "", len(receiver.requests), None))

    await w.call("POST", "/v1/schemes/value/preview", {**value, "tiers": value["tiers"][::-1]})
    await w.call("GET", "/v1/customers/crm-7/tiers/value/explain")
    await w.call("GET", "/v1/customers/crm-7/tiers?as_of=2026-03-01T00:00:00Z")
    await w.call("GET", "/v1/customers/crm-7/tiers/history")
    await w.call(
        "PUT",
        "/v1/customers/crm-42/tiers/value/override",
        {"tier": "vip", "reason": "key account", "expires_at": "2027-06-30T00:00:00Z"},
    )
    await w.call("POST", "/v1/schemes/templates/value", {"thresholds": {"vip_spend": "10000"}})
    await w.idle()
    await w.call("GET", "/v1/schemes")

    vip_machinery = {
        "all": [
            {"field": "tiers.value", "op": "eq", "value": "vip"},
            {"field": "traits.industry", "op": "eq", "value": "machinery"},
        ]
    }
    await w.call(
        "POST",
        "/v1/customers/search",
        {
            "condition": {"field": "tiers.value", "op": "exists"},
            "sort": [{"field": "metrics.lifetime_spend", "direction": "desc"}],
            "limit": 5,
        },
    )
    await w.call("POST", "/v1/customers/count", {"condition": vip_machinery})
    await w.call(
        "PUT",
        "/v1/segments/vip-machinery",
        {"name": "VIPs in machinery", "condition": vip_machinery},
    )
    await w.idle()
    await w.call("GET", "/v1/segments/vip-machinery/customers")
    await w.call("GET", "/v1/segments/vip-machinery/count")
    await w.call(
        "GET",
        "/v1/segments/vip-machinery/export?format=csv&fields=customer_id,traits.email,metrics.spend_365d",
    )
    await w.call("GET", "/v1/customers/crm-42/segments")

    await w.call("GET", "/v1/analytics/schemes/value/distribution")
    period = "from=2026-10-01T00:00:00Z&to=2026-12-31T00:00:00Z"
    await w.call("GET", f"/v1/analytics/schemes/value/transitions?{period}")
    await w.call("GET", f"/v1/analytics/schemes/value/performance?{period}")

    await w.call("POST", "/v1/models/clv/fit", {"holdout_days": 7})
    await w.idle()
    await w.call("GET", "/v1/models/clv")

    await w.call("DELETE", "/v1/customers/crm-42")
    await w.call("GET", "/v1/customers/crm-42")
    await w.call(
        "POST", "/v1/customers/count", {"condition": {"field": "tiers.value", "op": "exists"}}
    )
    await w.call("POST", "/v1/workspaces", {"slug": "second", "name": "Second"})
    await w.call("GET", "/v1/workspaces")
    return w.steps


async def _deliver(app: Any, clock: FrozenClock) -> int:
    from app.webhooks.worker import DeliveryWorker

    settings = app.state.settings.model_copy(update={"webhook_retry_schedule": [0.0, 60.0]})
    worker = DeliveryWorker(app.state.engine, clock, settings, None)
    delivered = 0
    try:
        while count := await worker.deliver_due():
            delivered += count
    finally:
        await worker.aclose()
    return delivered


async def _run(url: str) -> list[Step]:
    clock = FrozenClock(T0)
    settings = Settings(
        database_url=url,
        secret_key=SecretStr(TEST_SECRET_KEY),
        db_pool_size=5,
        background_workers=False,
    )
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        async with app.state.engine.begin() as conn:
            key = await auth_service.bootstrap(conn, clock.now(), None)
        assert key is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await _walk(app, client, key, clock)


@pytest.fixture
async def one_postgresql() -> AsyncIterator[str]:
    """A migrated database on the embedded PostgreSQL, beside the cluster."""
    server = start_embedded(ROOT / ".tierline" / "test-pg", database="postgres")
    name = f"t_walk_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server, name)
    await asyncio.to_thread(upgrade, url)
    yield url
    admin = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_the_walkthrough_answers_the_same_on_citus_and_on_one_postgresql(
    server: Server, database_url: str, one_postgresql: str
) -> None:
    if not server.citus:
        pytest.skip("needs a Citus cluster (TIERLINE_TEST_DATABASE_URL on its coordinator)")
    on_citus = await _run(database_url)
    on_one = await _run(one_postgresql)
    assert [step[:3] for step in on_citus] == [step[:3] for step in on_one]
    for citus_step, one_step in zip(on_citus, on_one, strict=True):
        assert citus_step == one_step
    assert all(status < 500 for _, _, status, _ in on_citus)
