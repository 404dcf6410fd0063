"""Fitting a workspace's CLV model over HTTP, its report, and its predictions as metrics: on
profiles, in schemes and segments, kept current by events, refits, the discount rate and the
schedule; bad input is a 422 that stores nothing."""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.clv.fit import bgnbd_log_likelihood
from app.clv.service import queue_due
from app.customers.metrics import CLV_METRICS
from app.jobs.service import run_until_idle
from app.predictions import model
from tests.clv.test_summaries import Event, expected, post
from tests.conftest import T0, KeyFactory, bearer
from tests.webhooks.test_outbox import messages, subscribe

TODAY = T0.date()
NO_PREDICTIONS = dict.fromkeys(CLV_METRICS)


def population(customers: int = 200, seed: int = 3) -> list[Event]:
    """Customers as the models tell it, over the year before T0: each buys at a rate of its
    own (gamma-distributed, about every 50 days) and may drop out after each purchase (with a
    beta-distributed chance, about one in five); each spends around a level of its own; the
    odd purchase is half refunded."""
    rng = random.Random(seed)
    start = T0 - timedelta(days=365)
    events: list[Event] = []
    for n in range(customers):
        at = start + timedelta(days=rng.uniform(0, 150))
        rate = rng.gammavariate(0.8, 1 / 40)
        dropout = rng.betavariate(1, 4)
        scale = 1 / rng.gammavariate(4, 1 / 60)  # a mean spend of 6 * scale, about 120
        while at < T0:
            amount = Decimal(round(rng.gammavariate(6, scale) * 100) + 1) / 100
            events.append((f"c{n:03}", "order", str(amount), at))
            if rng.random() < 0.1:
                events.append((f"c{n:03}", "refund", str(amount / 2), at + timedelta(hours=1)))
            if rng.random() < dropout:
                break
            at += timedelta(days=rng.expovariate(rate))
    return [e for e in events if e[3] < T0]


async def run_jobs(app: Any, clock: FrozenClock) -> None:
    await run_until_idle(app.state.engine, clock)


async def fit(
    app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock, **body: Any
) -> dict[str, Any]:
    response = await client.post("/v1/models/clv/fit", json=body, headers=bearer(key))
    assert response.status_code == 202, response.text
    queued: dict[str, Any] = response.json()
    await run_jobs(app, clock)
    job = await client.get(f"/v1/jobs/{queued['job_id']}", headers=bearer(key))
    assert job.json()["status"] == "succeeded", job.json()
    return queued


async def get_model(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await client.get("/v1/models/clv", headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def metrics(client: httpx.AsyncClient, key: str, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["metrics"]
    return result


def params(report: dict[str, Any]) -> tuple[model.BgNbd, model.GammaGamma]:
    bg, gg = report["bgnbd"], report["gamma_gamma"]
    return (
        model.BgNbd(r=bg["r"], alpha=bg["alpha"], a=bg["a"], b=bg["b"]),
        model.GammaGamma(p=gg["p"], q=gg["q"], gamma=gg["gamma"]),
    )


def rounded(value: float, places: str) -> Decimal:
    return Decimal(f"{value:.15g}").quantize(Decimal(places), rounding=ROUND_HALF_UP)


def predictions(
    report: dict[str, Any], summary: tuple[int, int, int, Decimal | None], rate: float = 0.0
) -> dict[str, Decimal]:
    """The five metrics for one customer's summary, as the service should store them."""
    bg, gg = params(report)
    f, r, a, m = (np.array([float(v or 0)]) for v in summary)
    return {
        "p_alive": rounded(model.p_alive(bg, f, r, a)[0], "0.0001"),
        "expected_orders_90d": rounded(model.expected_purchases(bg, 90, f, r, a)[0], "0.0001"),
        "expected_orders_365d": rounded(model.expected_purchases(bg, 365, f, r, a)[0], "0.0001"),
        "expected_order_value": rounded(model.expected_order_value(gg, f, m)[0], "0.01"),
        "predicted_clv_365d": rounded(
            model.predicted_value(bg, gg, 365, rate, f, r, a, m)[0], "0.01"
        ),
    }


def shown(values: dict[str, Any]) -> dict[str, Decimal | None]:
    return {name: None if values[name] is None else Decimal(values[name]) for name in CLV_METRICS}


@pytest.fixture
async def seeded(client: httpx.AsyncClient, admin_key: str) -> list[Event]:
    events = population()
    await post(client, admin_key, events)
    return events


async def test_a_fit_with_a_holdout_reports_parameters_and_the_tracking_curve(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    queued = await fit(app, client, admin_key, clock, holdout_days=60)
    end = TODAY - timedelta(days=60)
    assert queued["calibration_end"] == end.isoformat()

    report = await get_model(client, admin_key)
    seen = expected(seeded, end)
    assert report["time_unit"] == "day"
    assert report["calibration_end"] == end.isoformat()
    assert report["customers"] == len(seen)
    assert report["repeat_customers"] == sum(1 for s in seen.values() if s[0] > 0)
    assert report["bgnbd"]["converged"] and report["gamma_gamma"]["converged"]
    for name in ("r", "alpha", "a", "b"):
        assert report["bgnbd"][name] > 0
    assert report["gamma_gamma"]["q"] > 1
    # The likelihood reported is the likelihood of the data at the parameters reported.
    bg, _ = params(report)
    columns = [np.array([float(s[i] or 0) for s in seen.values()]) for i in range(3)]
    assert report["bgnbd"]["log_likelihood"] == pytest.approx(
        float(np.sum(bgnbd_log_likelihood(bg, *columns))), rel=1e-9
    )

    tracking = report["tracking"]
    weeks = tracking["weeks"]
    assert [w["week"] for w in weeks] == list(range(1, 10))  # 60 days: 8 weeks and 4 days
    assert weeks[0]["start"] == (end + timedelta(days=1)).isoformat()
    assert weeks[-1]["end"] == TODAY.isoformat()
    # Actual: repeat purchase days in each week, of customers who had bought by the end.
    actual = [0] * 9
    purchase_days = {(c, at.astimezone(UTC).date()) for c, kind, _, at in seeded if kind == "order"}
    for customer, day in purchase_days:
        if customer in seen and end < day <= TODAY:
            actual[((day - end).days - 1) // 7] += 1
    assert [w["actual"] for w in weeks] == actual
    assert tracking["actual"] == sum(actual) > 0
    # Predicted: the conditional expectation over the holdout, summed over those customers.
    assert tracking["predicted"] == pytest.approx(
        float(np.sum(model.expected_purchases(bg, 60, *columns))), abs=0.01
    )
    assert sum(w["predicted"] for w in weeks) == pytest.approx(tracking["predicted"], abs=0.1)
    assert weeks[-1]["cumulative_actual"] == tracking["actual"]


async def test_predictions_are_metrics_of_every_customer_and_follow_its_orders(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    response = await client.put(
        "/v1/customers/no-orders", json={"traits": {}}, headers=bearer(admin_key)
    )
    assert response.status_code == 200
    assert shown(await metrics(client, admin_key, "c000")) == NO_PREDICTIONS

    await fit(app, client, admin_key, clock)
    report = await get_model(client, admin_key)
    assert report["tracking"] is None and report["calibration_end"] == TODAY.isoformat()
    today = expected(seeded, TODAY)
    for customer in ("c000", "c001", "c050", "c199"):
        assert shown(await metrics(client, admin_key, customer)) == predictions(
            report, today[customer]
        ), customer
    assert shown(await metrics(client, admin_key, "no-orders")) == dict.fromkeys(NO_PREDICTIONS)

    # A new order changes the customer's predictions in the same request.
    clock.advance(timedelta(days=3))
    at = clock.now()
    new = ("c000", "order", "75.00", at)
    response = await client.post(
        "/v1/events",
        json={
            "event_id": "new-order",
            "customer_id": "c000",
            "type": "order",
            "amount": "75.00",
            "occurred_at": at.isoformat(),
        },
        headers=bearer(admin_key),
    )
    assert response.status_code == 201
    after = expected([*seeded, new], at.date())["c000"]
    assert after[0] == today["c000"][0] + 1
    assert shown(response.json()["customer"]["metrics"]) == predictions(report, after)


async def test_schemes_and_segments_read_predictions_and_a_refit_moves_them(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    lapsing = {"field": "metrics.p_alive", "op": "lt", "value": "0.5"}
    response = await client.put(
        "/v1/schemes/clv",
        json={
            "name": "By predicted value",
            "tiers": [{"key": "lapsing", "name": "Lapsing", "condition": lapsing}],
            "default_tier": "other",
        },
        headers=bearer(admin_key),
    )
    assert response.status_code == 201, response.text
    valuable_and_lapsing = {
        "all": [
            {"field": "metrics.lifetime_spend", "op": "gte", "value": "300"},
            {"field": "metrics.p_alive", "op": "lt", "value": "0.3"},
        ]
    }
    response = await client.put(
        "/v1/segments/valuable-lapsing",
        json={"name": "Valuable, probably lapsing", "condition": valuable_and_lapsing},
        headers=bearer(admin_key),
    )
    assert response.status_code in (200, 201), response.text
    await run_jobs(app, clock)
    await subscribe(app, ["customer.tier_changed", "customer.segment_entered"])

    await fit(app, client, admin_key, clock)
    profiles = {c: await metrics(client, admin_key, c) for c in sorted({e[0] for e in seeded})}
    want_tier = {c for c, m in profiles.items() if Decimal(m["p_alive"]) < Decimal("0.5")}
    want_members = {
        c
        for c, m in profiles.items()
        if Decimal(m["lifetime_spend"]) >= 300 and Decimal(m["p_alive"]) < Decimal("0.3")
    }
    assert 0 < len(want_members) < len(want_tier) < len(profiles)

    async with app.state.engine.connect() as conn:
        moved = await conn.execute(
            text("SELECT customer_id, reason FROM tier_history WHERE to_tier = 'lapsing'")
        )
        members = await conn.execute(
            text("SELECT customer_id FROM segment_members WHERE segment_key = 'valuable-lapsing'")
        )
        entered = await conn.execute(
            text("SELECT DISTINCT reason FROM segment_history WHERE change = 'entered'")
        )
        assert {(row.customer_id, row.reason) for row in moved} == {
            (c, "model_refit") for c in want_tier
        }
        assert set(members.scalars()) == want_members
        assert set(entered.scalars()) == {"model_refit"}

    # Webhooks carry the move, its reason and the prediction the rule read, as shown.
    sent = await messages(app, "customer.tier_changed")
    assert {m.customer_id for m in sent} == want_tier
    for message in sent:
        assert message.data["reason"] == "model_refit"
        assert message.data["metrics"] == {"p_alive": profiles[message.customer_id]["p_alive"]}
    joined = await messages(app, "customer.segment_entered")
    assert {m.customer_id for m in joined} == want_members

    # Searches read them too, sorted and exported like any metric.
    response = await client.post(
        "/v1/customers/search",
        json={
            "condition": lapsing,
            "sort": [{"field": "metrics.predicted_clv_365d", "direction": "desc"}],
            "fields": ["customer_id", "metrics.predicted_clv_365d"],
            "limit": 1000,
        },
        headers=bearer(admin_key),
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {item["customer_id"] for item in items} == want_tier
    assert [item["metrics"]["predicted_clv_365d"] for item in items] == sorted(
        (profiles[c]["predicted_clv_365d"] for c in want_tier), key=Decimal, reverse=True
    )

    # Explain shows the prediction the rule reads.
    customer = sorted(want_tier)[0]
    response = await client.get(
        f"/v1/customers/{customer}/tiers/clv/explain", headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    assert profiles[customer]["p_alive"] in response.text


async def test_a_failed_fit_keeps_the_active_model_and_says_why(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    await fit(app, client, admin_key, clock)
    before = await get_model(client, admin_key)
    response = await client.post("/v1/models/clv/fit", json={}, headers=bearer(admin_key))
    assert response.status_code == 202
    # The data changes before the job runs: most customers are erased.
    for customer in sorted({e[0] for e in seeded})[20:]:
        erased = await client.delete(f"/v1/customers/{customer}", headers=bearer(admin_key))
        assert erased.status_code == 200, erased.text
    await run_jobs(app, clock)

    job = (
        await client.get(f"/v1/jobs/{response.json()['job_id']}", headers=bearer(admin_key))
    ).json()
    assert job["status"] == "failed"
    assert "customers have a repeat purchase; a fit needs at least 30" in job["error"]
    assert await get_model(client, admin_key) == before


BAD_FITS = [
    ({"calibration_end": "2026-11-21"}, "calibration_end", "in_future"),
    ({"calibration_end": "2025-01-01"}, "calibration_end", "before_first_order"),
    ({"holdout_days": -1}, "holdout_days", None),
    ({"holdout_days": 3651}, "holdout_days", None),
    ({"calibration_end": "2026-11-01", "holdout_days": 30}, "holdout_days", "holdout_beyond_today"),
    ({"calibration_end": "2025-11-25"}, "calibration_end", "too_few_repeat_customers"),
    ({"calibration_end": "30/09/2026"}, "calibration_end", None),
    ({"holdout": 30}, "holdout", None),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_FITS)
async def test_a_bad_fit_request_is_a_422_naming_the_problem_and_queues_nothing(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    seeded: list[Event],
    body: dict[str, Any],
    field: str,
    code: str | None,
) -> None:
    response = await client.post("/v1/models/clv/fit", json=body, headers=bearer(admin_key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], errors
    if code is not None:
        assert errors[0]["code"] == code
    async with app.state.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM jobs"))).scalar_one() == 0
    assert (await client.get("/v1/models/clv", headers=bearer(admin_key))).status_code == 404


async def test_a_workspace_without_orders_cannot_be_fitted(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post("/v1/models/clv/fit", json={}, headers=bearer(admin_key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "must not be before the first order (there is no order yet)"
    )


async def test_the_discount_rate_discounts_predicted_value_and_rescores_everyone(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    await fit(app, client, admin_key, clock)
    report = await get_model(client, admin_key)
    assert report["discount_rate"] == "0"
    today = expected(seeded, TODAY)
    undiscounted = await metrics(client, admin_key, "c001")

    response = await client.patch(
        "/v1/workspace", json={"clv_discount_rate": "0.2"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    assert response.json()["clv_discount_rate"] == "0.2"
    await run_jobs(app, clock)

    discounted = await metrics(client, admin_key, "c001")
    assert shown(discounted) == predictions(report, today["c001"], rate=0.2)
    assert Decimal(discounted["predicted_clv_365d"]) < Decimal(undiscounted["predicted_clv_365d"])
    assert discounted["p_alive"] == undiscounted["p_alive"]
    assert (await get_model(client, admin_key))["discount_rate"] == "0.2"


@pytest.mark.parametrize(
    "body",
    [
        {"clv_discount_rate": 1},
        {"clv_discount_rate": "-0.01"},
        {"clv_discount_rate": "NaN"},
        {"clv_discount_rate": "ten percent"},
        {"clv_refit_days": -1},
        {"clv_refit_days": 366},
    ],
)
async def test_bad_model_settings_are_a_422_and_change_nothing(
    client: httpx.AsyncClient, admin_key: str, body: dict[str, Any]
) -> None:
    response = await client.patch("/v1/workspace", json=body, headers=bearer(admin_key))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == list(body)
    workspace = (await client.get("/v1/workspace", headers=bearer(admin_key))).json()
    assert (workspace["clv_discount_rate"], workspace["clv_refit_days"]) == ("0", 7)


async def test_the_scheduler_rescores_daily_and_refits_on_the_workspace_schedule(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    engine = app.state.engine
    assert await queue_due(engine, clock) == 0  # no model, nothing to refit
    await fit(app, client, admin_key, clock)
    assert (await get_model(client, admin_key))["next_refit_at"] == "2026-11-27T12:00:00Z"

    clock.advance(timedelta(hours=23))
    assert await queue_due(engine, clock) == 0
    before = await metrics(client, admin_key, "c002")
    clock.advance(timedelta(hours=1))
    assert await queue_due(engine, clock) == 1
    assert await queue_due(engine, clock) == 0  # queued once
    await run_jobs(app, clock)
    # A day later without a purchase: the same customer is a day older.
    after = await metrics(client, admin_key, "c002")
    assert shown(after) == predictions(
        await get_model(client, admin_key), expected(seeded, TODAY + timedelta(days=1))["c002"]
    )
    assert after != before

    clock.advance(timedelta(days=6))
    assert await queue_due(engine, clock) == 1  # the refit (which rescores too)
    await run_jobs(app, clock)
    report = await get_model(client, admin_key)
    assert report["fitted_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert report["calibration_end"] == clock.now().date().isoformat()

    response = await client.patch(
        "/v1/workspace", json={"clv_refit_days": 0}, headers=bearer(admin_key)
    )
    assert response.status_code == 200
    assert (await get_model(client, admin_key))["next_refit_at"] is None
    clock.advance(timedelta(days=30))
    assert await queue_due(engine, clock) == 1  # the daily rescoring only
    async with engine.connect() as conn:
        kinds = await conn.execute(
            text("SELECT kind, count(*) FROM jobs GROUP BY kind ORDER BY kind")
        )
        assert {row.kind: row.count for row in kinds} == {"clv_fit": 2, "clv_score": 4}


async def test_reading_the_model_needs_customers_read_and_fitting_schemes_write(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    reader = await make_key("customers:read")
    writer = await make_key("schemes:write")
    assert (await client.get("/v1/models/clv", headers=bearer(reader))).status_code == 404
    assert (await client.get("/v1/models/clv", headers=bearer(writer))).status_code == 403
    response = await client.post("/v1/models/clv/fit", json={}, headers=bearer(reader))
    assert response.status_code == 403
    response = await client.post("/v1/models/clv/fit", json={}, headers=bearer(writer))
    assert response.status_code == 422  # allowed, but there is nothing to fit


async def test_the_clv_template_installs_value_tiers_and_a_churn_risk_segment(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock, seeded: list[Event]
) -> None:
    thresholds = {"top_clv": "400", "high_clv": "150", "churn_max_p_alive": "0.5"}
    response = await client.post(
        "/v1/schemes/templates/clv",
        json={"thresholds": {**thresholds, "medium_clv": 40, "churn_min_spend": "250"}},
        headers=bearer(admin_key),
    )
    assert response.status_code == 201, response.text
    segment = (await client.get("/v1/segments/churn-risk", headers=bearer(admin_key))).json()
    assert segment["condition"] == {
        "all": [
            {"field": "metrics.lifetime_spend", "op": "gte", "value": "250"},
            {"field": "metrics.p_alive", "op": "lt", "value": "0.5"},
        ]
    }
    await fit(app, client, admin_key, clock)

    customers = sorted({e[0] for e in seeded})
    profiles = {c: await metrics(client, admin_key, c) for c in customers}

    def tier(m: dict[str, Any]) -> str:
        value = Decimal(m["predicted_clv_365d"])
        for key, bound in (("top", 400), ("high", 150), ("medium", 40)):
            if value >= bound:
                return key
        return "low"

    async with app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT customer_id, tier FROM customer_tiers"))
        tiers = {row.customer_id: row.tier for row in rows}
        members = set(
            (
                await conn.execute(
                    text("SELECT customer_id FROM segment_members WHERE segment_key = 'churn-risk'")
                )
            ).scalars()
        )
    assert tiers == {c: tier(m) for c, m in profiles.items()}
    assert len(set(tiers.values())) == 4
    assert members == {
        c
        for c, m in profiles.items()
        if Decimal(m["lifetime_spend"]) >= 250 and Decimal(m["p_alive"]) < Decimal("0.5")
    }
    assert members


@pytest.mark.parametrize(
    ("thresholds", "field"),
    [
        ({"churn_max_p_alive": "1.5"}, "thresholds.churn_max_p_alive"),
        ({"churn_max_p_alive": -0.1}, "thresholds.churn_max_p_alive"),
        ({"top_clv": "lots"}, "thresholds.top_clv"),
        ({"vip_spend": "100"}, "thresholds.vip_spend"),
    ],
)
async def test_a_bad_clv_template_threshold_is_a_422_and_saves_nothing(
    client: httpx.AsyncClient, admin_key: str, thresholds: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/schemes/templates/clv", json={"thresholds": thresholds}, headers=bearer(admin_key)
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await client.get("/v1/schemes/clv", headers=bearer(admin_key))).status_code == 404
    assert (
        await client.get("/v1/segments/churn-risk", headers=bearer(admin_key))
    ).status_code == 404


async def test_installing_the_clv_template_needs_segments_write_too(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    schemes_only = await make_key("schemes:write")
    response = await client.post("/v1/schemes/templates/clv", json={}, headers=bearer(schemes_only))
    assert response.status_code == 403
    assert (await client.get("/v1/schemes/clv", headers=bearer(admin_key))).status_code == 404
    both = await make_key("schemes:write", "segments:write")
    response = await client.post("/v1/schemes/templates/clv", json={}, headers=bearer(both))
    assert response.status_code == 201
