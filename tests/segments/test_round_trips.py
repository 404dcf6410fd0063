"""What a count or a search costs in round trips to PostgreSQL, counted at the wire
(``tests/wire.py``): one statement, which also reads the workspace's configuration version
(no key query, no catalogue reads, no ``BEGIN``, ``SET`` or ``COMMIT``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import T0, bearer
from tests.events.test_round_trips import TICKETS
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme
from tests.wire import Proxied, proxied_app

BY_TIER = {"condition": {"field": "tiers.value", "op": "eq", "value": "vip"}}
BY_SPEND = {"condition": {"field": "metrics.lifetime_spend", "op": "between", "value": [1, 9000]}}
BY_TRAIT = {"condition": {"field": "traits.industry", "op": "eq", "value": "machinery"}}
SEARCH = {
    **BY_TRAIT,
    "sort": [{"field": "metrics.lifetime_spend", "direction": "desc"}],
    "fields": ["customer_id", "metrics.lifetime_spend"],
}


class Counted(Proxied):
    async def statements(self, path: str, body: dict[str, Any]) -> tuple[Any, list[str]]:
        """The answer to one request, and the statements it sent, as the wire saw them."""
        self.proxy.wire.reset()
        response = await self.client.post(path, json=body, headers=bearer(self.key))
        assert response.status_code == 200, response.text
        return response.json(), list(self.proxy.wire.statements)


@pytest.fixture
async def counted(database_url: str, clock: FrozenClock) -> AsyncIterator[Counted]:
    """The app through the counting proxy, with the scheme ``value``, three customers, and
    every question asked once (statements prepared)."""
    async with proxied_app(database_url, clock, db_pool_size=2, db_query_pool_size=2) as proxied:
        http, key = proxied.client, proxied.key
        await put_scheme(http, key, VALUE)
        for n, (industry, amount) in enumerate(
            (("machinery", "6000.00"), ("machinery", "100.00"), ("food", "50.00"))
        ):
            traits = {"traits": {"industry": industry}}
            await http.put(f"/v1/customers/c{n}", json=traits, headers=bearer(key))
            await order(http, key, f"e{n}", amount, T0, f"c{n}")
        await run_until_idle(proxied.app.state.engine, clock)
        counted = Counted(proxied.app, http, key, proxied.proxy)
        for body in (BY_TIER, BY_SPEND, BY_TRAIT):
            await counted.statements("/v1/customers/count", body)
        await counted.statements("/v1/customers/search", SEARCH)
        yield counted


@pytest.mark.parametrize(
    ("body", "expected"),
    [(BY_TIER, 1), (BY_SPEND, 3), (BY_TRAIT, 2)],
    ids=["tier", "spend", "trait"],
)
async def test_a_count_costs_one_round_trip(
    counted: Counted, body: dict[str, Any], expected: int
) -> None:
    answer, statements = await counted.statements("/v1/customers/count", body)
    assert answer["count"] == expected
    assert len(statements) == 1, "\n".join(statements)
    assert "config_version" in statements[0]


async def test_a_search_costs_one_round_trip_and_an_empty_page_two(counted: Counted) -> None:
    answer, statements = await counted.statements("/v1/customers/search", SEARCH)
    assert [item["customer_id"] for item in answer["items"]] == ["c0", "c1"]
    assert len(statements) == 1, "\n".join(statements)
    # No row to carry the version: it is read after the page.
    nobody = {**SEARCH, "condition": {"field": "traits.industry", "op": "eq", "value": "mining"}}
    answer, statements = await counted.statements("/v1/customers/search", nobody)
    assert answer["items"] == []
    assert len(statements) == 2, "\n".join(statements)


async def test_after_a_configuration_change_the_count_runs_again_with_it_reloaded(
    counted: Counted,
) -> None:
    response = await counted.client.put(
        "/v1/metrics/tickets", json=TICKETS, headers=bearer(counted.key)
    )
    assert response.status_code in (200, 201, 202), response.text
    answer, statements = await counted.statements("/v1/customers/count", BY_TIER)
    assert answer["count"] == 1
    # The count saw a newer version; the configuration was read again; the count again.
    assert len(statements) > 3, "\n".join(statements)
    assert "customer_tiers" in statements[0] and "customer_tiers" in statements[-1]
    answer, statements = await counted.statements("/v1/customers/count", BY_TIER)
    assert len(statements) == 1, "\n".join(statements)
