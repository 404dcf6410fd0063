"""Overrides: a tier pinned by hand holds through events, reviews and new versions (both
engines), is recorded and sent like any move, and gives way to the rules at once when it
expires or is ended."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.reclassification import reviews
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import VALUE, customer, history, iso, order, put_scheme
from tests.webhooks.test_outbox import messages, subscribe

PATH = "/v1/customers/crm-1/tiers/value/override"


async def pin(client: httpx.AsyncClient, key: str, **body: Any) -> httpx.Response:
    return await client.put(
        PATH,
        json={"tier": "vip", "reason": "key account signed in person", **body},
        headers=bearer(key),
    )


async def regular_customer(
    app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock, **scheme: Any
) -> None:
    await put_scheme(client, key, {**VALUE, **scheme})
    await run_until_idle(app.state.engine, clock)
    await order(client, key, "o1", "100.00", T0)


async def test_an_override_pins_the_tier_through_events_and_new_versions(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await subscribe(app, ["customer.tier_changed"])
    await regular_customer(app, client, admin_key, clock)
    expires = T0 + timedelta(days=10)

    response = await pin(client, admin_key, expires_at=iso(expires))
    assert response.status_code == 200, response.text
    override = {
        "tier": "vip",
        "reason": "key account signed in person",
        "set_at": iso(T0),
        "expires_at": iso(expires),
    }
    assert response.json() == {
        "tier": "vip",
        "version": 1,
        "since": iso(T0),
        "pending_downgrade": None,
        "override": override,
    }
    assert (await history(client, admin_key))[-1] == ("regular", "vip", "override", iso(T0))
    sent = [m.data for m in await messages(app)]
    assert (sent[-1]["from_tier"], sent[-1]["to_tier"], sent[-1]["reason"]) == (
        "regular",
        "vip",
        "override",
    )

    # An event (the Python engine) and a new version (the SQL engine) leave it alone.
    await order(client, admin_key, "o2", "5.00", T0)
    await put_scheme(client, admin_key, {**VALUE, "name": "Value, renamed"})
    await run_until_idle(app.state.engine, clock)
    tiers = (await customer(client, admin_key))["tiers"]["value"]
    assert (tiers["tier"], tiers["version"], tiers["override"]) == ("vip", 2, override)
    assert len(await history(client, admin_key)) == 2
    # The customer is reviewed when the override ends.
    assert (await customer(client, admin_key))["next_review_at"] <= iso(expires)
    explained = await client.get(
        "/v1/customers/crm-1/tiers/value/explain", headers=bearer(admin_key)
    )
    assert explained.json()["current"]["override"] == override
    assert explained.json()["qualifies_for"] == "regular"


async def test_an_expired_override_gives_way_at_once_without_grace(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await regular_customer(app, client, admin_key, clock, downgrade_grace_days=30)
    await pin(client, admin_key, expires_at=iso(T0 + timedelta(days=2)))

    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert await reviews.review_due(app.state.engine, clock) == 0
    clock.advance(timedelta(seconds=1))
    assert await reviews.review_due(app.state.engine, clock) == 1
    tiers = (await customer(client, admin_key))["tiers"]["value"]
    assert (tiers["tier"], tiers["override"], tiers["pending_downgrade"]) == (
        "regular",
        None,
        None,
    )
    assert (await history(client, admin_key))[-1] == (
        "vip",
        "regular",
        "override_expired",
        iso(T0 + timedelta(days=2)),
    )


async def test_a_lapsed_override_met_by_a_new_version_first_follows_the_rules(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    """The SQL engine reaches the lapsed override before the review does."""
    await regular_customer(app, client, admin_key, clock, downgrade_grace_days=30)
    await pin(client, admin_key, expires_at=iso(T0 + timedelta(days=1)))
    clock.advance(timedelta(days=3))
    await put_scheme(client, admin_key, {**VALUE, "downgrade_grace_days": 30, "name": "V2"})
    await run_until_idle(app.state.engine, clock)
    tiers = (await customer(client, admin_key))["tiers"]["value"]
    assert (tiers["tier"], tiers["override"], tiers["version"]) == ("regular", None, 2)
    assert (await history(client, admin_key))[-1][1:3] == ("regular", "override_expired")


async def test_ending_an_override_hands_the_customer_back_to_the_rules(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await regular_customer(app, client, admin_key, clock)
    await pin(client, admin_key)  # no expiry: until removed
    clock.advance(timedelta(days=400))  # the order has left the 365-day window meanwhile
    assert await reviews.review_due(app.state.engine, clock) == 1
    assert (await customer(client, admin_key))["tiers"]["value"]["tier"] == "vip"

    ended = await client.delete(PATH, headers=bearer(admin_key))
    assert ended.status_code == 200, ended.text
    assert (ended.json()["tier"], ended.json()["override"]) == ("regular", None)
    assert (await history(client, admin_key))[-1][1:3] == ("regular", "override_expired")
    again = await client.delete(PATH, headers=bearer(admin_key))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (PATH, {"tier": "gold", "reason": "r"}, 422, "tier"),
        (PATH, {"tier": "vip", "reason": "r", "expires_at": iso(T0)}, 422, "expires_at"),
        (PATH, {"tier": "vip", "reason": "r", "expires_at": "2027-01-01T00:00:00"}, 422, None),
        (PATH, {"tier": "vip"}, 422, "reason"),
        (PATH, {"tier": "vip", "reason": ""}, 422, "reason"),
        (PATH.replace("crm-1", "nobody"), {"tier": "vip", "reason": "r"}, 404, None),
        (PATH.replace("/value/", "/other/"), {"tier": "vip", "reason": "r"}, 404, None),
    ],
)
async def test_bad_overrides_are_refused_and_change_nothing(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    path: str,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    await regular_customer(app, client, admin_key, clock)
    response = await client.put(path, json=body, headers=bearer(admin_key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in {error["field"] for error in response.json()["errors"]}
    tiers = (await customer(client, admin_key))["tiers"]["value"]
    assert (tiers["tier"], tiers["override"]) == ("regular", None)


async def test_an_override_takes_customers_write(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, make_key: KeyFactory
) -> None:
    await regular_customer(app, client, admin_key, clock)
    reader = await make_key("customers:read", "schemes:write")
    assert (await pin(client, reader)).status_code == 403
    assert (await client.delete(PATH, headers=bearer(reader))).status_code == 403
