"""A customer's tiers in every scheme, now and at past moments answered from the tier history
(the clock is moved between orders, never slept on)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import VALUE, customer, iso, order, put_scheme, scheme

ACTIVITY: dict[str, Any] = {
    "name": "Activity",
    "tiers": [
        {
            "key": "active",
            "name": "Active",
            "condition": {"field": "metrics.orders_30d", "op": "gte", "value": 1},
        }
    ],
    "default_tier": "dormant",
}
MICROSECOND = timedelta(microseconds=1)


async def tiers_at(
    client: httpx.AsyncClient, key: str, at: datetime | str | None, customer_id: str = "crm-1"
) -> httpx.Response:
    params = {} if at is None else {"as_of": at if isinstance(at, str) else iso(at)}
    return await client.get(
        f"/v1/customers/{customer_id}/tiers", params=params, headers=bearer(key)
    )


async def held_at(client: httpx.AsyncClient, key: str, at: datetime) -> dict[str, Any]:
    response = await tiers_at(client, key, at)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["as_of"] == iso(at)
    return {
        scheme_key: (t["tier"], t["version"], t["since"]) for scheme_key, t in body["tiers"].items()
    }


async def by_history(client: httpx.AsyncClient, key: str, at: datetime) -> dict[str, Any]:
    """What the history endpoint says: per scheme, the last change at or before ``at``."""
    response = await client.get("/v1/customers/crm-1/tiers/history?limit=1000", headers=bearer(key))
    held: dict[str, Any] = {}
    for item in reversed(response.json()["items"]):  # oldest first
        if datetime.fromisoformat(item["changed_at"]) <= at:
            held[item["scheme"]] = (item["to_tier"], item["version"], item["changed_at"])
    return held


async def test_tiers_at_past_moments_follow_the_history(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await put_scheme(client, admin_key, ACTIVITY, "activity")
    await run_until_idle(app.state.engine, clock)

    await order(client, admin_key, "o1", "100.00", T0)  # regular, active
    clock.advance(timedelta(days=1, hours=3))
    vip_at = clock.now()
    await order(client, admin_key, "o2", "4900.00", vip_at)  # vip
    clock.advance(timedelta(days=2))
    dearer_at = clock.now()
    await put_scheme(
        client,
        admin_key,
        scheme(
            tiers=[
                {
                    "key": "vip",
                    "name": "VIP",
                    "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 6000},
                },
                VALUE["tiers"][1],
            ]
        ),
    )
    await run_until_idle(app.state.engine, clock)  # version 2: back to regular
    clock.advance(timedelta(days=1))
    archived_at = clock.now()
    deleted = await client.delete("/v1/schemes/activity", headers=bearer(admin_key))
    assert deleted.status_code == 204
    clock.advance(timedelta(days=40))

    assert await held_at(client, admin_key, T0 - MICROSECOND) == {}
    assert await held_at(client, admin_key, T0) == {
        "value": ("regular", 1, iso(T0)),
        "activity": ("active", 1, iso(T0)),
    }
    assert (await held_at(client, admin_key, vip_at - MICROSECOND))["value"][0] == "regular"
    assert (await held_at(client, admin_key, vip_at))["value"] == ("vip", 1, iso(vip_at))
    between = vip_at + timedelta(days=1)
    assert (await held_at(client, admin_key, between))["value"] == ("vip", 1, iso(vip_at))
    assert (await held_at(client, admin_key, dearer_at))["value"] == ("regular", 2, iso(dearer_at))
    # The archived scheme answers from its history up to the archive, and not after it.
    assert "activity" in await held_at(client, admin_key, archived_at - MICROSECOND)
    assert await held_at(client, admin_key, archived_at) == {
        "value": ("regular", 2, iso(dearer_at))
    }
    for moment in (T0, vip_at, between, dearer_at, archived_at - MICROSECOND):
        assert await held_at(client, admin_key, moment) == await by_history(
            client, admin_key, moment
        ), moment

    # Any offset names an instant: one second before the upgrade at 15:00 UTC.
    assert vip_at == datetime.fromisoformat("2026-11-21T15:00:00Z")
    elsewhere = (await tiers_at(client, admin_key, "2026-11-21T15:59:59+01:00")).json()
    assert elsewhere["as_of"] == "2026-11-21T14:59:59Z"
    assert elsewhere["tiers"]["value"]["tier"] == "regular"

    now = await tiers_at(client, admin_key, None)
    assert now.status_code == 200
    assert now.json()["as_of"] == iso(clock.now())
    assert now.json()["tiers"] == (await customer(client, admin_key))["tiers"]
    assert (await tiers_at(client, admin_key, clock.now())).status_code == 200


async def test_the_current_tiers_show_a_held_downgrade_as_the_profile_does(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, scheme(downgrade_grace_days=30))
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "5000.00", T0)
    await order(client, admin_key, "r1", "100.00", T0, kind="refund")
    current = (await tiers_at(client, admin_key, None)).json()["tiers"]
    assert current["value"]["pending_downgrade"]["to"] == "regular"
    assert current == (await customer(client, admin_key))["tiers"]
    # The history keeps changes only: the past shows the tier without the held downgrade.
    assert (await tiers_at(client, admin_key, T0)).json()["tiers"]["value"] == {
        "tier": "vip",
        "version": 1,
        "since": iso(T0),
        "pending_downgrade": None,
        "override": None,
    }


async def test_as_of_in_the_future_or_without_a_timezone_is_refused(
    client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await order(client, admin_key, "o1", "10.00", T0)
    for at in (iso(T0 + MICROSECOND), "2026-03-01T00:00:00", "yesterday"):
        response = await tiers_at(client, admin_key, at)
        assert response.status_code == 422, at
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == ["as_of"], at


async def test_an_unknown_customer_is_404_and_a_key_without_customers_read_is_403(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    assert (await tiers_at(client, admin_key, None, "nobody")).status_code == 404
    assert (await tiers_at(client, admin_key, T0, "nobody")).status_code == 404
    writer = await make_key("events:write")
    await order(client, writer, "o1", "10.00", T0)
    refused = await tiers_at(client, writer, None)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
