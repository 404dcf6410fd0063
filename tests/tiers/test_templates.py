"""Templates: listed with their thresholds, installed in one call as ordinary schemes, and
classifying a fixed data set as a hand computation of their rules says."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.tiers.templates import RFM_GROUPS
from tests.conftest import T0, bearer
from tests.rfm.test_rfm import EVENTS as RFM_EVENTS
from tests.rfm.test_rfm import NO_ORDERS
from tests.rfm.test_rfm import profiles as rfm_profiles
from tests.rfm.test_rfm import refresh as rfm_refresh
from tests.rfm.test_rfm import seed as rfm_seed
from tests.tiers.test_tier_lifecycle import customer, order


async def install(
    client: httpx.AsyncClient, api_key: str, name: str, /, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/schemes/templates/{name}", json=body, headers=bearer(api_key))


async def tiers_of(
    client: httpx.AsyncClient, key: str, scheme: str, ids: list[str]
) -> dict[str, str]:
    return {cid: (await customer(client, key, cid))["tiers"][scheme]["tier"] for cid in ids}


async def test_the_templates_are_listed_with_their_thresholds(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    page = (await client.get("/v1/schemes/templates", headers=bearer(admin_key))).json()
    assert page["next_cursor"] is None
    listed = page["items"]
    assert [t["name"] for t in listed] == ["value", "rfm", "lifecycle", "industrial", "clv"]
    assert [t["segments"] for t in listed[:4]] == [{}] * 4
    assert list(listed[4]["segments"]) == ["churn-risk"]
    assert listed[4]["thresholds"]["churn_max_p_alive"]["kind"] == "probability"
    value = listed[0]
    assert value["thresholds"]["vip_spend"] == {
        "kind": "money",
        "default": "5000",
        "description": "VIP: spend in 365 days.",
    }
    vip = value["scheme"]["tiers"][0]["condition"]["all"]
    assert vip[0] == {"field": "metrics.spend_365d", "op": "gte", "value": "5000"}
    rfm_tiers = [t["key"] for t in listed[1]["scheme"]["tiers"]]
    assert rfm_tiers[0] == "champions" and len(rfm_tiers) == 11


# (orders as (days ago, amount)); the value template's rules by hand below.
VALUE_DATA: dict[str, list[tuple[int, str]]] = {
    "a": [(n * 30, "1200.00") for n in range(5)],  # 6,000 over 5 orders
    "b": [(10, "600.00")],
    "c": [(10, "50.00"), (400, "50.00"), (20, "50.00")],  # 2 orders in 365 days
    "d": [(5, "50.00")],
    "e": [(n, "100.00") for n in range(6)],  # 6 orders, 600
    "f": [(370, "9000.00")],  # outside the window
}


def value_by_hand(orders: list[tuple[int, str]], t: dict[str, Any]) -> str:
    recent = [Decimal(amount) for days, amount in orders if days < 365]
    spend, count = sum(recent, Decimal(0)), len(recent)
    if spend >= Decimal(t["vip_spend"]) and count >= t["vip_orders"]:
        return "vip"
    if spend >= Decimal(t["regular_spend"]) or count >= t["regular_orders"]:
        return "regular"
    return "potential"


async def place(client: httpx.AsyncClient, key: str, data: dict[str, list[tuple[int, str]]]):
    for cid, orders in data.items():
        for n, (days, amount) in enumerate(orders):
            await order(client, key, f"{cid}-{n}", amount, T0 - timedelta(days=days), cid)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"vip_spend": "1000", "vip_orders": 1, "regular_spend": 100.5, "regular_orders": 3}],
)
async def test_value_classifies_as_its_rules_say_by_hand(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    overrides: dict[str, Any],
) -> None:
    await place(client, admin_key, VALUE_DATA)
    installed = await install(client, admin_key, "value", thresholds=overrides)
    assert installed.status_code == 201, installed.text
    assert installed.json()["key"] == "value" and installed.json()["downgrade_grace_days"] == 30
    await run_until_idle(app.state.engine, clock)
    thresholds = {
        "vip_spend": "5000",
        "vip_orders": 5,
        "regular_spend": "500",
        "regular_orders": 2,
        **overrides,
    }
    expected = {cid: value_by_hand(orders, thresholds) for cid, orders in VALUE_DATA.items()}
    assert await tiers_of(client, admin_key, "value", list(VALUE_DATA)) == expected
    assert len(set(expected.values())) == 3  # the data set reaches every tier


async def test_lifecycle_and_a_second_install_under_another_key(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    data = {
        "new": [(3, "10.00")],
        "active": [(200, "10.00"), (60, "10.00")],
        "at_risk": [(120, "10.00")],
        "churned": [(200, "10.00")],
    }
    await place(client, admin_key, data)
    await order(client, admin_key, "v", "0.00", T0, "prospect", kind="visit")
    assert (await install(client, admin_key, "lifecycle")).status_code == 201
    strict = await install(
        client, admin_key, "lifecycle", key="lifecycle_strict", thresholds={"active_days": 30}
    )
    assert strict.status_code == 201, strict.text
    await run_until_idle(app.state.engine, clock)
    ids = [*data, "prospect"]
    assert await tiers_of(client, admin_key, "lifecycle", ids) == {cid: cid for cid in ids}
    assert (await tiers_of(client, admin_key, "lifecycle_strict", ids))["active"] == "at_risk"


async def test_industrial_reads_traits_and_spend(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    traits = {
        "big": {"industry": "retail", "size": "enterprise"},
        "machines": {"industry": "machinery", "size": "small"},
        "shop": {"industry": "retail", "size": "small"},
    }
    for cid, values in traits.items():
        await client.put(f"/v1/customers/{cid}", json={"traits": values}, headers=bearer(admin_key))
        for n in range(3):
            await order(client, admin_key, f"{cid}-{n}", "700.00", T0, cid)
    overrides = {
        "strategic_spend": 2000,
        "strategic_orders": 3,
        "key_spend": "1000.00",
        "key_orders": 3,
    }
    response = await install(client, admin_key, "industrial", thresholds=overrides)
    assert response.status_code == 201, response.text
    await run_until_idle(app.state.engine, clock)
    assert await tiers_of(client, admin_key, "industrial", list(traits)) == {
        "big": "strategic",
        "machines": "key",  # a key industry, though small
        "shop": "general",  # spends enough, but neither industry nor size qualifies
    }


@pytest.mark.parametrize(
    ("name", "body", "status", "fields"),
    [
        ("gold", {}, 404, []),
        ("value", {"thresholds": {"vip_spnd": 1}}, 422, ["thresholds.vip_spnd"]),
        ("value", {"thresholds": {"vip_orders": "5"}}, 422, ["thresholds.vip_orders"]),
        ("value", {"thresholds": {"vip_orders": 2.5}}, 422, ["thresholds.vip_orders"]),
        ("value", {"thresholds": {"vip_spend": True}}, 422, ["thresholds.vip_spend"]),
        ("value", {"thresholds": {"vip_spend": "-1"}}, 422, ["thresholds.vip_spend"]),
        ("value", {"thresholds": {"grace_days": 5000}}, 422, ["thresholds"]),
        ("lifecycle", {"thresholds": {"new_days": 0}}, 422, ["thresholds.new_days"]),
        ("industrial", {"thresholds": {"key_sizes": []}}, 422, ["thresholds.key_sizes"]),
        ("industrial", {"thresholds": {"key_sizes": "large"}}, 422, ["thresholds.key_sizes"]),
        ("value", {"key": "no spaces"}, 422, ["key"]),
        ("value", {"key": "templates"}, 422, ["key"]),
    ],
)
async def test_bad_installs_are_refused_and_save_nothing(
    client: httpx.AsyncClient,
    admin_key: str,
    name: str,
    body: dict[str, Any],
    status: int,
    fields: list[str],
) -> None:
    response = await install(client, admin_key, name, **body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    got = {error["field"] for error in response.json().get("errors", [])}
    assert set(fields) <= got, got
    listed = await client.get("/v1/schemes", headers=bearer(admin_key))
    assert listed.json()["items"] == []


def test_every_rfm_cell_falls_in_a_group_and_every_group_has_cells() -> None:
    def group(r: int, fm: int) -> str:
        return next(
            key
            for key, _, (r_low, r_high), (fm_low, fm_high) in RFM_GROUPS
            if r_low <= r <= r_high and fm_low <= fm <= fm_high
        )

    cells = {(r, fm): group(r, fm) for r in range(1, 6) for fm in range(1, 6)}
    assert set(cells.values()) == {key for key, *_ in RFM_GROUPS}
    assert cells[(5, 5)] == "champions" and cells[(1, 1)] == "lost"
    assert cells[(1, 5)] == "cant_lose" and cells[(5, 1)] == "new"


async def test_the_rfm_template_groups_customers_by_their_refreshed_scores(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await rfm_seed(client, admin_key)
    assert (await install(client, admin_key, "rfm")).status_code == 201
    await run_until_idle(app.state.engine, clock)
    before = await tiers_of(client, admin_key, "rfm", [*RFM_EVENTS, NO_ORDERS])
    assert set(before.values()) == {"unscored"}  # no refresh yet

    refreshed = await rfm_refresh(client, admin_key)
    assert refreshed["job_id"] is not None  # the scheme reads the scores: reclassified
    await run_until_idle(app.state.engine, clock)
    metrics = await rfm_profiles(client, admin_key)

    def by_hand(scores: dict[str, Any]) -> str:
        if scores["rfm_r"] is None:
            return "unscored"
        return next(
            key
            for key, _, (r_low, r_high), (fm_low, fm_high) in RFM_GROUPS
            if r_low <= scores["rfm_r"] <= r_high and fm_low <= scores["rfm_fm"] <= fm_high
        )

    expected = {cid: by_hand(scores) for cid, scores in metrics.items()}
    assert await tiers_of(client, admin_key, "rfm", list(metrics)) == expected
    assert len(set(expected.values())) >= 3
