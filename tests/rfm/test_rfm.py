"""RFM scores: equal to the rule computed independently here, stored until the next refresh,
read by schemes like any metric, refreshed daily by the worker."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
from sqlalchemy import text

from app.clock import FrozenClock, utc_day
from app.jobs.service import run_until_idle
from app.rfm import service as rfm
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import customer, history, order, put_scheme

# customer -> (type, amount, days before T0) for each event. Ties everywhere: a and b share
# a last-order day and a spend, b, c and e an order count, c and d a last-order day.
EVENTS: dict[str, list[tuple[str, str, int]]] = {
    "a": [("order", "100.00", 10), ("order", "50.00", 2)],
    "b": [("order", "150.00", 2)],
    "c": [("order", "20.00", 30)],
    "d": [("order", "10.00", 100), ("order", "10.00", 50), ("order", "10.00", 30)],
    "e": [("order", "500.00", 0), ("refund", "400.00", 0)],
}
NO_ORDERS = "f"
SCORES = ("rfm_r", "rfm_f", "rfm_m", "rfm_fm")

RANKING = {
    "rfm_r": "days_since_last_order",
    "rfm_f": "order_count",
    "rfm_m": "lifetime_spend",
}

RFM_SCHEME: dict[str, Any] = {
    "name": "RFM",
    "tiers": [
        {
            "key": "champions",
            "name": "Champions",
            "condition": {"field": "metrics.rfm_r", "op": "gte", "value": 5},
        }
    ],
    "default_tier": "others",
}


def _score(values: list[Any], value: Any, up_to: Callable[[Any, Any], bool]) -> int:
    """ceil(5 * cume_dist): cume_dist is the share of values ranked up to ``value``, ties
    included."""
    return math.ceil(Fraction(5 * sum(1 for other in values if up_to(other, value)), len(values)))


def expected_scores(metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, int | None]]:
    """The rule, from the profiles' own metrics."""
    ordered = {k: m for k, m in metrics.items() if m["order_count"] > 0}
    values = {
        "rfm_r": {k: m["days_since_last_order"] for k, m in ordered.items()},
        "rfm_f": {k: m["order_count"] for k, m in ordered.items()},
        "rfm_m": {k: Decimal(m["lifetime_spend"]) for k, m in ordered.items()},
    }
    up_to: dict[str, Callable[[Any, Any], bool]] = {
        "rfm_r": lambda other, own: other >= own,  # descending: more days rank first
        "rfm_f": lambda other, own: other <= own,
        "rfm_m": lambda other, own: other <= own,
    }
    result: dict[str, dict[str, int | None]] = {}
    for key in metrics:
        if key not in ordered:
            result[key] = dict.fromkeys(SCORES)
            continue
        scores: dict[str, int | None] = {
            name: _score(list(values[name].values()), values[name][key], up_to[name])
            for name in RANKING
        }
        f, m = scores["rfm_f"], scores["rfm_m"]
        assert f is not None and m is not None
        scores["rfm_fm"] = math.floor(Fraction(f + m, 2) + Fraction(1, 2))
        result[key] = scores
    return result


async def post_events(
    client: httpx.AsyncClient, key: str, events: dict[str, list[tuple[str, str, int]]], tag: str
) -> None:
    for customer_id, items in events.items():
        for i, (kind, amount, days_ago) in enumerate(items):
            at = T0 - timedelta(days=days_ago)
            await order(client, key, f"{tag}-{customer_id}-{i}", amount, at, customer_id, kind)


async def seed(client: httpx.AsyncClient, key: str) -> None:
    await post_events(client, key, EVENTS, "seed")
    response = await client.put(
        f"/v1/customers/{NO_ORDERS}", json={"traits": {}}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text


async def profiles(client: httpx.AsyncClient, key: str) -> dict[str, dict[str, Any]]:
    return {k: (await customer(client, key, k))["metrics"] for k in [*EVENTS, NO_ORDERS]}


def stored(metrics: dict[str, dict[str, Any]]) -> dict[str, dict[str, int | None]]:
    return {k: {name: m[name] for name in SCORES} for k, m in metrics.items()}


async def refresh(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await client.post("/v1/schemes/rfm/refresh", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_scores_follow_the_rule_with_ties_and_no_orders(
    client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(client, admin_key)
    before = await profiles(client, admin_key)
    assert stored(before) == {k: dict.fromkeys(SCORES) for k in before}

    body = await refresh(client, admin_key)

    metrics = await profiles(client, admin_key)
    assert stored(metrics) == expected_scores(metrics)
    # The rule by hand, for one dimension: days 2, 2, 30, 30, 0 -> cume_dist descending.
    assert [metrics[k]["rfm_r"] for k in "abcde"] == [4, 4, 2, 2, 5]
    assert metrics[NO_ORDERS]["rfm_r"] is None
    assert body["customers"] == 5
    assert body["job_id"] is None  # nothing reads the scores
    assert body["refreshed_at"] == T0.isoformat().replace("+00:00", "Z")


async def test_cut_points_give_each_scores_range(client: httpx.AsyncClient, admin_key: str) -> None:
    await seed(client, admin_key)
    body = await refresh(client, admin_key)
    metrics = await profiles(client, admin_key)

    for dimension, name in (("r", "rfm_r"), ("f", "rfm_f"), ("m", "rfm_m")):
        underlying = RANKING[name]
        expected = []
        for score in range(1, 6):
            holders = [
                m[underlying] for m in metrics.values() if m[name] == score and m["order_count"]
            ]
            key = Decimal if dimension == "m" else int
            expected.append(
                {
                    "score": score,
                    "customers": len(holders),
                    "min": min(holders, key=key, default=None),
                    "max": max(holders, key=key, default=None),
                }
            )
        assert body["cut_points"][dimension] == expected
    assert body["cut_points"]["m"][4] == {
        "score": 5,
        "customers": 2,
        "min": "150.00",
        "max": "150.00",
    }


async def test_scores_change_only_at_a_refresh(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(client, admin_key)
    await refresh(client, admin_key)
    first = stored(await profiles(client, admin_key))

    clock.advance(timedelta(days=3))
    await post_events(client, admin_key, {"c": [("order", "900.00", 0)] * 3}, "more")
    await post_events(client, admin_key, {NO_ORDERS: [("order", "5.00", 0)]}, "first")
    assert stored(await profiles(client, admin_key)) == first

    body = await refresh(client, admin_key)
    metrics = await profiles(client, admin_key)
    assert stored(metrics) != first
    assert stored(metrics) == expected_scores(metrics)
    assert body["customers"] == 6

    # A customer who no longer has an order (as after a correction) loses its scores.
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE customers SET order_count = 0 WHERE customer_id = 'd'"))
    await refresh(client, admin_key)
    metrics = await profiles(client, admin_key)
    assert metrics["d"]["rfm_r"] is None
    assert stored(metrics) == expected_scores(metrics)


async def test_a_scheme_reading_a_score_is_reclassified_after_a_refresh(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await seed(client, admin_key)
    await put_scheme(client, admin_key, RFM_SCHEME, "rfm")
    await run_until_idle(app.state.engine, clock)
    assert (await customer(client, admin_key, "e"))["tiers"]["rfm"]["tier"] == "others"

    clock.advance(timedelta(hours=1))
    body = await refresh(client, admin_key)
    assert body["job_id"] is not None
    await run_until_idle(app.state.engine, clock)

    assert (await customer(client, admin_key, "e"))["tiers"]["rfm"]["tier"] == "champions"
    assert [(f, t, reason) for f, t, reason, _ in await history(client, admin_key, "e")] == [
        (None, "others", "rule_change"),
        ("others", "champions", "rfm_refresh"),
    ]
    assert (await customer(client, admin_key, "a"))["tiers"]["rfm"]["tier"] == "others"
    # Nothing changed since: no job.
    assert (await refresh(client, admin_key))["job_id"] is None


async def test_last_refresh_and_scopes(
    client: httpx.AsyncClient, make_key: KeyFactory, admin_key: str
) -> None:
    reader = await make_key("customers:read")
    writer = await make_key("schemes:write")

    missing = await client.get("/v1/schemes/rfm/refresh", headers=bearer(reader))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")

    await seed(client, admin_key)
    denied = await client.post("/v1/schemes/rfm/refresh", headers=bearer(reader))
    assert denied.status_code == 403
    assert (await client.get("/v1/schemes/rfm/refresh", headers=bearer(writer))).status_code == 403
    assert (await client.post("/v1/schemes/rfm/refresh")).status_code == 401

    posted = await refresh(client, writer)
    last = await client.get("/v1/schemes/rfm/refresh", headers=bearer(reader))
    assert last.status_code == 200
    assert last.json() == {k: v for k, v in posted.items() if k != "job_id"}


async def test_the_worker_refreshes_workspaces_a_day_old(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    engine = app.state.engine
    assert await rfm.refresh_due(engine, clock) == 0  # no customer has ordered yet

    await seed(client, admin_key)
    assert await rfm.refresh_due(engine, clock) == 1
    assert (await customer(client, admin_key, "e"))["metrics"]["rfm_r"] == 5

    clock.advance(timedelta(hours=23))
    assert await rfm.refresh_due(engine, clock) == 0
    clock.advance(timedelta(hours=1))
    assert await rfm.refresh_due(engine, clock) == 1
    last = await client.get("/v1/schemes/rfm/refresh", headers=bearer(admin_key))
    refreshed_at = datetime.fromisoformat(last.json()["refreshed_at"])
    assert utc_day(refreshed_at) == utc_day(T0) + timedelta(days=1)
