"""Previewing a scheme version: the from-to matrix, the moves grace holds back and the
webhooks it would send, equal to what saving it then does, and nothing changed meanwhile."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import VALUE, order, put_scheme, scheme
from tests.webhooks.test_outbox import messages, subscribe

SPENDS = {"c0": ["100.00"], "c1": ["6000.00"], "c2": ["3000.00", "10.00"], "c4": ["4500.00"]}

PROPOSAL = scheme(
    tiers=[
        {
            "key": "vip",
            "name": "VIP",
            "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 4000},
        },
        {
            "key": "regular",
            "name": "Regular",
            "condition": {"field": "metrics.order_count", "op": "gte", "value": 2},
        },
    ],
    downgrade_grace_days=30,
)


async def seed(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> None:
    await put_scheme(client, key, VALUE)
    await run_until_idle(app.state.engine, clock)
    for customer_id, amounts in SPENDS.items():
        for n, amount in enumerate(amounts):
            await order(client, key, f"{customer_id}-{n}", amount, T0, customer_id)
    await order(client, key, "v1", "0.00", T0, "c3", kind="visit")  # no order: potential


async def preview(client: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/schemes/value/preview", json=body, headers=bearer(key))


async def counts(app: Any) -> dict[str, int]:
    async with app.state.engine.connect() as conn:
        return {
            table: int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
            for table in ("customer_tiers", "tier_history", "scheme_versions", "jobs")
        }


async def saved_moves(app: Any) -> Counter[tuple[str | None, str]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT from_tier, to_tier FROM tier_history WHERE reason <> 'event'")
        )
        return Counter((row.from_tier, row.to_tier) for row in rows)


async def pending_downgrades(app: Any) -> Counter[tuple[str | None, str]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT tier, downgrade_to FROM customer_tiers WHERE downgrade_to IS NOT NULL")
        )
        return Counter((row.tier, row.downgrade_to) for row in rows)


def matrix(cells: list[dict[str, Any]]) -> Counter[tuple[str | None, str]]:
    return Counter({(cell["from"], cell["to"]): cell["count"] for cell in cells})


async def test_a_preview_equals_what_saving_then_does_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await subscribe(app, ["customer.tier_changed"], {"direction": "up"})
    await seed(app, client, admin_key, clock)
    before = await counts(app)
    messages_before = len(await messages(app))

    response = await preview(client, admin_key, PROPOSAL)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert await counts(app) == before  # nothing written
    assert shown["transitions"] == [
        {"from": "regular", "to": "vip", "count": 1, "sample": ["c4"]},
    ]
    # c0 has one order: regular no longer holds, but 30 days of grace keep it for now.
    assert shown["held_back"] == [
        {"from": "regular", "to": "potential", "count": 1, "sample": ["c0"]},
    ]
    assert shown["webhook_messages"] == 1  # the endpoint hears of upgrades only

    await put_scheme(client, admin_key, PROPOSAL)
    await run_until_idle(app.state.engine, clock)
    assert await saved_moves(app) == matrix(shown["transitions"])
    assert await pending_downgrades(app) == matrix(shown["held_back"])
    assert len(await messages(app)) - messages_before == shown["webhook_messages"]


async def test_without_grace_on_change_the_held_moves_happen_at_once(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(app, client, admin_key, clock)
    abrupt = {**PROPOSAL, "grace_on_change": False, "notify": False}
    shown = (await preview(client, admin_key, abrupt)).json()
    assert matrix(shown["transitions"]) == Counter(
        {("regular", "vip"): 1, ("regular", "potential"): 1}
    )
    assert shown["held_back"] == []
    assert shown["webhook_messages"] == 0  # notify: false sends none

    await put_scheme(client, admin_key, abrupt)
    await run_until_idle(app.state.engine, clock)
    assert await saved_moves(app) == matrix(shown["transitions"])


async def test_a_new_scheme_previews_everyones_first_tier_with_samples_in_id_order(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    for n in range(14):
        await order(client, admin_key, f"o{n}", "10.00", T0, f"c{n:02d}")
    response = await preview(client, admin_key, VALUE)
    assert response.json()["transitions"] == [
        {
            "from": None,
            "to": "regular",
            "count": 14,
            "sample": [f"c{n:02d}" for n in range(10)],  # the first ten, by id
        }
    ]
    assert (await client.get("/v1/schemes/value", headers=bearer(admin_key))).status_code == 404


async def test_a_bad_proposal_is_refused_as_saving_it_would_be(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    unknown_metric = scheme(
        tiers=[
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.nope", "op": "gte", "value": 1},
            }
        ]
    )
    for body in (unknown_metric, {**VALUE, "default_tier": "vip"}, {"name": "No tiers"}):
        previewed = await preview(client, admin_key, body)
        saved = await client.put("/v1/schemes/value", json=body, headers=bearer(admin_key))
        assert previewed.status_code == saved.status_code == 422
        assert previewed.json()["errors"] == saved.json()["errors"]
    reader = await make_key("customers:read")
    assert (await preview(client, reader, VALUE)).status_code == 403
