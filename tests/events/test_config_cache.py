"""The write path's cached configuration is never stale: a change made through one server
process takes effect on the very next event another process handles, though that process
had the configuration cached (``app.classification.config``)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.classification.test_triggers import value_scheme
from tests.conftest import bearer
from tests.worker_processes import server_processes


@dataclass
class Servers:
    """Two `tierline serve` processes on one database: changes go to ``a``, events to ``b``."""

    http: httpx.AsyncClient
    a: str
    b: str
    key: str
    sent: int = 0

    async def change(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(
            method, f"{self.a}{path}", json=body, headers=bearer(self.key)
        )
        assert response.status_code in (200, 201, 204), response.text
        return response.json() if response.content else None

    async def event(
        self,
        customer_id: str,
        *,
        key: str | None = None,
        type_: str = "order",
        amount: str | None = "10.00",
        currency: str | None = None,
    ) -> httpx.Response:
        """An event sent to ``b``, dated a minute ago (the servers use the system clock)."""
        self.sent += 1
        body: dict[str, Any] = {
            "event_id": f"e{self.sent}",
            "customer_id": customer_id,
            "type": type_,
            "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        }
        if amount is not None:
            body |= {"amount": amount, "currency": currency}
        return await self.http.post(
            f"{self.b}/v1/events", json=body, headers=bearer(key or self.key)
        )

    async def created(self, customer_id: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.event(customer_id, **kwargs)
        assert response.status_code == 201, response.text
        customer: dict[str, Any] = response.json()["customer"]
        return customer


@pytest.fixture
async def servers(database_url: str) -> AsyncIterator[Servers]:
    key = "tl_" + secrets.token_urlsafe(32)
    settings = {
        "TIERLINE_BOOTSTRAP_KEY": key,
        "TIERLINE_BACKGROUND_WORKERS": "false",
        "TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }
    async with (
        server_processes(database_url, settings) as (a, b),
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield Servers(http, a, b, key)


async def scalar(app: Any, query: str, **params: Any) -> Any:
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text(query), params)).scalar()


async def test_a_new_scheme_version_classifies_the_next_event(servers: Servers) -> None:
    await servers.change("PUT", "/v1/schemes/value", value_scheme(gold_from="500"))
    gold = await servers.created("c1", amount="600.00")
    assert gold["tiers"]["value"]["tier"] == "gold"

    await servers.change("PUT", "/v1/schemes/value", value_scheme(gold_from="1000"))
    silver = await servers.created("c2", amount="600.00")
    assert (silver["tiers"]["value"]["tier"], silver["tiers"]["value"]["version"]) == ("silver", 2)


async def test_a_new_metric_definition_is_computed_from_the_next_event(servers: Servers) -> None:
    before = await servers.created("c1", type_="support_ticket", amount=None)
    assert "tickets" not in before["metrics"]

    definition = {"event_type": "support_ticket", "aggregation": "count", "window_days": 90}
    await servers.change("PUT", "/v1/metrics/tickets", definition)
    after = await servers.created("c1", type_="support_ticket", amount=None)
    # Its backfill has not run (no workers here): the metric shows as pending.
    assert "tickets" in after["metrics"]
    assert "tickets" in after["pending_metrics"]


async def test_a_deleted_endpoint_gets_no_message_from_the_next_event(
    app: Any, servers: Servers
) -> None:
    await servers.change("PUT", "/v1/schemes/value", value_scheme())
    endpoint = await servers.change(
        "POST",
        "/v1/webhooks/endpoints",
        {"url": "http://127.0.0.1:9/hook", "event_types": ["customer.tier_changed"]},
    )
    await servers.created("c1")
    wanted = "SELECT count(*) FROM webhook_messages WHERE customer_id = :c"
    assert await scalar(app, wanted, c="c1") == 1

    await servers.change("DELETE", f"/v1/webhooks/endpoints/{endpoint['id']}")
    await servers.created("c2")
    assert await scalar(app, wanted, c="c2") == 0


async def test_a_changed_fx_rate_converts_the_next_event(app: Any, servers: Servers) -> None:
    await servers.change("PUT", "/v1/fx-rates", {"rates": {"USD": "0.90"}})
    first = await servers.created("c1", amount="100.00", currency="USD")
    assert Decimal(first["metrics"]["lifetime_spend"]) == Decimal("90.00")

    await servers.change("PUT", "/v1/fx-rates", {"rates": {"USD": "0.50"}})
    second = await servers.created("c1", amount="100.00", currency="USD")
    assert Decimal(second["metrics"]["lifetime_spend"]) == Decimal("140.00")
    stored = "SELECT amount_base FROM events WHERE event_id = :e"
    assert await scalar(app, stored, e=f"e{servers.sent}") == Decimal("50.0000")


async def test_a_revoked_key_is_refused_at_the_next_event(app: Any, servers: Servers) -> None:
    made = await servers.change("POST", "/v1/api-keys", {"name": "crm", "scopes": ["events:write"]})
    await servers.created("c1", key=made["key"])

    await servers.change("DELETE", f"/v1/api-keys/{made['id']}")
    refused = await servers.event("c1", key=made["key"])
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    # Rolled back: the event is not stored, the customer's totals did not take it.
    assert await scalar(app, "SELECT count(*) FROM events WHERE event_id = :e", e="e2") == 0
    assert await scalar(app, "SELECT order_count FROM customers WHERE customer_id = 'c1'") == 1
