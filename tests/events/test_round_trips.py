"""What one event costs in round trips to PostgreSQL, counted at the wire (``tests/wire.py``):
``BEGIN`` with the write, the read, the apply with ``COMMIT`` (``app.events.flush``), with
two schemes, a segment, two user-defined metrics and a subscribed endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.classification.test_triggers import BIG, PERKS, order, put, value_scheme
from tests.clv.test_api import fit, population
from tests.clv.test_summaries import post
from tests.conftest import bearer
from tests.webhooks.test_outbox import messages, subscribe
from tests.wire import Proxied, proxied_app

POOL = 4
SURVEY = {
    "event_type": "survey",
    "aggregation": "avg",
    "property": "properties.score",
    "window_days": 180,
}
TICKETS = {"event_type": "support_ticket", "aggregation": "count", "window_days": 90}


class Counted(Proxied):
    async def round_trips(
        self, event_id: str, customer_id: str, amount: str, status: int = 201
    ) -> list[str]:
        """The statements one order sends, as the wire saw them."""
        self.proxy.wire.reset()
        body = {
            "event_id": event_id,
            "customer_id": customer_id,
            "type": "order",
            "amount": amount,
            "occurred_at": self.app.state.clock.now().isoformat(),
        }
        response = await self.client.post("/v1/events", json=body, headers=bearer(self.key))
        assert response.status_code == status, response.text
        return list(self.proxy.wire.statements)

    async def customer(self, customer_id: str) -> dict[str, Any]:
        """The customer as stored."""
        response = await self.client.get(f"/v1/customers/{customer_id}", headers=bearer(self.key))
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@pytest.fixture
async def counted(database_url: str, clock: FrozenClock) -> AsyncIterator[Counted]:
    """The app on a pool whose connections go through the counting proxy, with the setting
    above saved and every pooled connection warmed up by an event (statements prepared)."""
    async with proxied_app(database_url, clock, db_pool_size=POOL) as proxied:
        http, key = proxied.client, proxied.key
        await put(http, key, "/v1/schemes/value", value_scheme())
        await put(http, key, "/v1/schemes/perks", PERKS)
        await put(http, key, "/v1/segments/big", BIG)
        await put(http, key, "/v1/metrics/satisfaction", SURVEY)
        await put(http, key, "/v1/metrics/tickets", TICKETS)
        await run_until_idle(proxied.app.state.engine, clock)
        await subscribe(proxied.app)
        for n in range(POOL * 2):
            await order(http, key, f"warm-{n}", f"w{n}", "20.00", clock.now())
        yield Counted(proxied.app, http, key, proxied.proxy)


async def test_an_event_that_moves_a_tier_and_a_segment_costs_three_round_trips(
    counted: Counted,
) -> None:
    statements = await counted.round_trips("big", "c1", "900.00")
    assert len(statements) == 3, "\n".join(statements)
    assert statements[0].startswith("BEGIN;\nEXECUTE tierline_flush_write")
    assert statements[-1].startswith("EXECUTE tierline_flush_apply(")
    assert statements[-1].endswith("COMMIT")
    # It did move both schemes and the segment, and queued their messages.
    queued = [m for m in await messages(counted.app) if m.customer_id == "c1"]
    assert [m.type for m in queued] == [
        "customer.tier_changed",
        "customer.tier_changed",
        "customer.segment_entered",
    ]


async def test_an_event_that_moves_nothing_costs_three(counted: Counted) -> None:
    await counted.round_trips("first", "c1", "20.00")
    statements = await counted.round_trips("second", "c1", "20.00")
    assert len(statements) == 3, "\n".join(statements)
    assert statements[-1] == "COMMIT"


async def test_a_replay_costs_no_classification(counted: Counted) -> None:
    await counted.round_trips("once", "c1", "20.00")
    statements = await counted.round_trips("once", "c1", "20.00", status=200)
    # The insert finds the id taken: a rollback, the stored fingerprint with the version
    # check, then the customer as it stands, read in a transaction of its own.
    assert statements[1] == "ROLLBACK", "\n".join(statements)
    assert "array_agg(fingerprint)" in statements[2], "\n".join(statements)
    assert not any("tierline_flush_apply" in s for s in statements), "\n".join(statements)


async def test_with_a_clv_model_an_order_costs_one_more(counted: Counted) -> None:
    await post(counted.client, counted.key, population())
    await fit(counted.app, counted.client, counted.key, counted.app.state.clock)
    for n in range(POOL * 2):  # the fit changed the configuration: warm up again
        await counted.round_trips(f"rewarm-{n}", f"c{n:03}", "20.00")
    statements = await counted.round_trips("big", "whale", "900.00")
    assert len(statements) == 4, "\n".join(statements)
    assert (await counted.customer("whale"))["metrics"]["p_alive"] is not None
