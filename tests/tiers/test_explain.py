"""Explaining a tier: the pure explanation (amounts, nesting, margins) and the route, which
must agree with classification on the real data as the clock moves."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.customers.catalog import field_catalog
from app.customers.service import row_of, view
from app.jobs.service import run_until_idle
from app.metrics.aggregate import Definition
from app.reclassification import reviews
from app.rules.evaluate import evaluate
from app.rules.fields import FieldCatalog
from app.rules.schema import parse_condition
from app.tiers import repository
from app.tiers.explain import DayTotals, explain, explained
from app.tiers.explanation_schemas import EXAMPLE_EXPLANATION
from app.tiers.policy import Assignment, Scheme, scheme_from_definition
from tests.conftest import T0, KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import VALUE, customer, iso, order, put_scheme

NOW = T0


def a_customer(
    metrics: dict[str, Any] | None = None, traits: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "customer_id": "c1",
        "traits": traits or {},
        "metrics": metrics or {},
        "pending_metrics": [],
        "tiers": {},
        "created_at": NOW - timedelta(days=400),
    }


def two_tiers(top: dict[str, Any], held: dict[str, Any] | None = None, **options: Any) -> Scheme:
    """``top`` above ``held`` (when given) above the default tier ``base``."""
    tiers = [{"key": "top", "name": "Top", "condition": top}]
    if held is not None:
        tiers.append({"key": "held", "name": "Held", "condition": held})
    definition = {
        "name": "Test",
        "tiers": tiers,
        "default_tier": "base",
        "downgrade_grace_days": 0,
        "min_days_in_tier": 0,
        "grace_on_change": True,
        **options,
    }
    return scheme_from_definition("value", 1, definition)


def missing_for(
    condition: dict[str, Any],
    customer: dict[str, Any],
    catalog: FieldCatalog | None = None,
) -> Any:
    """What a customer in the default tier lacks for ``condition``, as JSON."""
    result = explain(
        two_tiers(condition),
        customer,
        Assignment("base", 1, NOW),
        NOW,
        catalog or field_catalog(),
        "EUR",
    )
    assert result.next_tier is not None and result.next_tier.missing is not None
    return result.next_tier.missing.model_dump(mode="json")


RATING = Definition("avg_rating", "survey", "avg", "rating", None, True)


@pytest.mark.parametrize(
    ("comparison", "metrics", "missing", "direction", "text"),
    [
        (
            ("lifetime_spend", "gte", 5000),
            {"lifetime_spend": "4600.00"},
            "400.00",
            "increase",
            "400.00 more lifetime_spend",
        ),
        # Money moves in cents: more than 5000 is 5000.01.
        (("lifetime_spend", "gt", 5000), {"lifetime_spend": "4600.00"}, "400.01", "increase", None),
        (
            ("lifetime_spend", "gte", "5000.005"),
            {"lifetime_spend": "4600.00"},
            "400.01",
            None,
            None,
        ),
        (("lifetime_spend", "gt", 5000), {"lifetime_spend": "4600.0050"}, "400.00", None, None),
        # Counts move in whole units: more than 3 is 4.
        (("order_count", "gt", 3), {"order_count": 1}, 3, "increase", "3 more order_count"),
        (("order_count", "gte", 2.5), {"order_count": 1}, 2, None, None),
        (("orders_90d", "gte", 2), {"orders_90d": 1}, 1, None, "1 more orders_90d"),
        (("visit_count", "gte", 3), {}, 3, None, "3 more visit_count"),
        (
            ("refund_total", "lte", 100),
            {"refund_total": "150.00"},
            "50.00",
            "decrease",
            "50.00 less refund_total",
        ),
        (("refund_total", "lt", 100), {"refund_total": "150.00"}, "50.01", "decrease", None),
        (("days_since_last_order", "lt", 30), {"days_since_last_order": 45}, 16, "decrease", None),
        (("orders_90d", "between", [2, 5]), {"orders_90d": 0}, 2, "increase", None),
        (("orders_90d", "between", [2, 5]), {"orders_90d": 7}, 2, "decrease", None),
        # A user-defined average has no step: the exact difference, "more than" it for gt.
        (
            ("avg_rating", "gt", 4.5),
            {"avg_rating": "4.2"},
            "0.3",
            "increase",
            "more than 0.3 more avg_rating",
        ),
        (("avg_rating", "gte", 4.5), {"avg_rating": "4.2"}, "0.3", None, "0.3 more avg_rating"),
    ],
)
def test_a_gap_is_an_exact_amount_rounded_to_what_the_customer_can_change(
    comparison: tuple[str, str, Any],
    metrics: dict[str, Any],
    missing: Any,
    direction: str | None,
    text: str | None,
) -> None:
    name, op, value = comparison
    gap = missing_for(
        {"field": f"metrics.{name}", "op": op, "value": value},
        a_customer(metrics),
        field_catalog([RATING]),
    )
    assert gap["missing"] == missing
    assert gap["path"] == ""
    if direction is not None:
        assert gap["direction"] == direction
    if text is not None:
        assert gap["text"] == text


def test_comparisons_without_an_amount_say_what_they_need() -> None:
    gaps = missing_for(
        {
            "all": [
                {"field": "traits.industry", "op": "in", "value": ["machinery", "chemicals"]},
                {"field": "metrics.avg_order_value", "op": "gte", "value": 100},
                {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
                {"field": "traits.account_manager", "op": "exists", "value": True},
            ]
        },
        a_customer(
            {"avg_order_value": None, "last_order_at": datetime.fromisoformat("2026-01-05T10:00Z")},
            {"industry": "retail"},
        ),
    )
    assert [(gap["path"], gap["missing"], gap["text"]) for gap in gaps["all"]] == [
        (
            "all.0",
            None,
            'traits.industry must be one of ["machinery", "chemicals"] (now "retail")',
        ),
        ("all.1", None, "metrics.avg_order_value must be at least 100 (now no value)"),
        (
            "all.2",
            None,
            "metrics.last_order_at must be within the last 30 days (now 2026-01-05T10:00:00Z)",
        ),
        ("all.3", None, "traits.account_manager must have a value (now no value)"),
    ]


NESTED: dict[str, Any] = {
    "all": [
        {"field": "metrics.lifetime_spend", "op": "gte", "value": 1000},
        {
            "not": {
                "any": [
                    {
                        "all": [
                            {"field": "metrics.refund_total", "op": "gt", "value": 100},
                            {"field": "metrics.orders_90d", "op": "lt", "value": 4},
                        ]
                    },
                    {"field": "traits.blocked", "op": "eq", "value": True},
                ]
            }
        },
    ]
}


def test_gaps_follow_all_inside_any_inside_not() -> None:
    customer = a_customer(
        {"lifetime_spend": "600.00", "refund_total": "150.00", "orders_90d": 1},
        {"blocked": False},
    )
    # The `not` holds once its `any` fails: its `all` must fail, and one side of it will do;
    # the cheaper one (relative to its threshold) comes first.
    assert missing_for(NESTED, customer) == {
        "all": [
            {
                "path": "all.0",
                "field": "metrics.lifetime_spend",
                "op": "gte",
                "value": 1000,
                "actual": "600.00",
                "missing": "400.00",
                "direction": "increase",
                "text": "400.00 more lifetime_spend",
            },
            {
                "any": [
                    {
                        "path": "all.1.not.any.0.all.0",
                        "field": "metrics.refund_total",
                        "op": "gt",
                        "value": 100,
                        "actual": "150.00",
                        "missing": "50.00",
                        "direction": "decrease",
                        "text": "50.00 less refund_total",
                    },
                    {
                        "path": "all.1.not.any.0.all.1",
                        "field": "metrics.orders_90d",
                        "op": "lt",
                        "value": 4,
                        "actual": 1,
                        "missing": 3,
                        "direction": "increase",
                        "text": "3 more orders_90d",
                    },
                ]
            },
        ]
    }
    # Blocked too: both sides of the `any` must now fail.
    customer["traits"]["blocked"] = True
    customer["metrics"]["lifetime_spend"] = "1000.00"
    blocked = missing_for(NESTED, customer)
    assert [item.get("path") or list(item) for item in blocked["all"]] == [
        ["any"],
        "all.1.not.any.1",
    ]
    assert blocked["all"][1]["text"] == "traits.blocked must not be true (now true)"


def test_each_node_holds_exactly_when_the_engine_says_so() -> None:
    condition = parse_condition(NESTED)
    for spend, refunds, orders, blocked in itertools.product(
        ("999.99", "1000.00"), ("100.00", "100.01"), (3, 4), (False, True)
    ):
        customer = a_customer(
            {"lifetime_spend": spend, "refund_total": refunds, "orders_90d": orders},
            {"blocked": blocked},
        )
        tree = explained(condition, customer, NOW).model_dump(mode="json", by_alias=True)
        inner = tree["all"][1]["not"]
        assert tree["holds"] == evaluate(condition, customer, NOW)
        assert inner["holds"] == evaluate(parse_condition(NESTED["all"][1]["not"]), customer, NOW)
        missing = explain(
            two_tiers(NESTED), customer, Assignment("base", 1, NOW), NOW, field_catalog(), "EUR"
        ).next_tier
        assert missing is not None and missing.holds == tree["holds"]


def test_margins_say_what_would_lose_the_tier_and_when_days_leave_the_window() -> None:
    scheme = two_tiers(
        {"field": "metrics.lifetime_spend", "op": "gte", "value": 100000},
        {
            "all": [
                {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
                {"field": "metrics.orders_90d", "op": "gte", "value": 1},
                {"field": "traits.region", "op": "eq", "value": "EU"},
            ]
        },
    )
    days = [
        DayTotals(date(2026, 1, 10), Decimal("3000.00"), 1),  # left the 90-day window already
        DayTotals(date(2026, 9, 1), Decimal("2400.00"), 1),
    ]
    customer = a_customer(
        {"spend_365d": "5400.00", "orders_90d": 1, "lifetime_spend": "5400.00"}, {"region": "EU"}
    )
    result = explain(
        scheme, customer, Assignment("held", 1, NOW), NOW, field_catalog(), "EUR", days
    )
    assert result.qualifies_for == "held"
    assert result.keep_tier is not None and result.keep_tier.lose_if is not None
    lose_if = result.keep_tier.lose_if.model_dump(mode="json")
    assert [(m["path"], m["spare"], m["changes_at"], m["text"]) for m in lose_if["any"]] == [
        (
            "all.1",
            0,
            "2026-11-30T00:00:00Z",
            "orders_90d falls below 1 (now 1: 0 to spare; flips at 2026-11-30T00:00:00Z with "
            "no new events)",
        ),
        (
            "all.0",
            "400.00",
            "2027-01-10T00:00:00Z",
            "spend_365d falls below 5000 (now 5400.00: 400.00 to spare; flips at "
            "2027-01-10T00:00:00Z with no new events)",
        ),
        ("all.2", None, None, 'traits.region must still be "EU" (now "EU")'),
    ]
    assert result.next_tier is not None and result.next_tier.key == "top"
    next_gap = result.next_tier.missing
    assert next_gap is not None and next_gap.model_dump()["text"] == "94600.00 more lifetime_spend"


async def _classified(app: Any, customer_id: str, key: str, now: datetime) -> tuple[str, str]:
    """(Scheme.qualifies_for, the stored tier), read the way classification reads them."""
    async with app.state.engine.connect() as conn:
        workspace_id = (
            await conn.execute(
                text("SELECT workspace_id FROM customers WHERE customer_id = :cid"),
                {"cid": customer_id},
            )
        ).scalar_one()
        row = await row_of(conn, workspace_id, customer_id)
        current = await repository.assignments(conn, workspace_id, customer_id)
        profile = await view(conn, workspace_id, row, now, "EUR")
        schemes = {s.key: s for s in await repository.active_schemes(conn, workspace_id)}
    context = profile.facts({k: a.tier for k, a in current.items()})
    return schemes[key].qualifies_for(context, now), current[key].tier


async def get_explain(
    client: httpx.AsyncClient, key: str, scheme: str = "value", customer_id: str = "crm-1"
) -> httpx.Response:
    return await client.get(
        f"/v1/customers/{customer_id}/tiers/{scheme}/explain", headers=bearer(key)
    )


WINDOWED: dict[str, Any] = {
    "name": "Value",
    "tiers": [
        {
            "key": "vip",
            "name": "VIP",
            "condition": {
                "all": [
                    {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
                    {"field": "metrics.orders_90d", "op": "gte", "value": 2},
                ]
            },
        },
        VALUE["tiers"][1],
    ],
    "default_tier": "potential",
}


async def test_explain_agrees_with_classification_and_its_flip_dates_come_true(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, WINDOWED)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "3000.00", T0 - timedelta(days=100))  # 2026-08-12
    await order(client, admin_key, "o2", "2400.00", T0 - timedelta(days=10))  # 2026-11-10
    regular = (await get_explain(client, admin_key)).json()
    assert (regular["current"]["tier"], regular["qualifies_for"]) == ("regular", "regular")
    assert [t["key"] for t in regular["tiers"]] == ["vip", "regular"]
    assert regular["tiers"][0]["condition"]["all"][0] == {
        "field": "metrics.spend_365d",
        "op": "gte",
        "value": 5000,
        "actual": "5400.00",
        "holds": True,
        "changes_at": "2027-08-12T00:00:00Z",
    }
    assert regular["next_tier"]["missing"]["text"] == "1 more orders_90d"

    await order(client, admin_key, "o3", "24.00", T0 - timedelta(days=1))
    vip = (await get_explain(client, admin_key)).json()
    assert (vip["current"]["tier"], vip["qualifies_for"]) == ("vip", "vip")
    assert await _classified(app, "crm-1", "value", clock.now()) == ("vip", "vip")
    assert vip["next_tier"] is None  # the top tier
    assert [t["key"] for t in vip["tiers"]] == ["vip"]
    closest, further = vip["keep_tier"]["lose_if"]["any"]
    assert (closest["text"], closest["changes_at"]) == (
        "orders_90d falls below 2 (now 2: 0 to spare; flips at 2027-02-08T00:00:00Z with no "
        "new events)",
        "2027-02-08T00:00:00Z",
    )
    assert (further["spare"], further["changes_at"]) == ("424.00", "2027-08-12T00:00:00Z")

    # The first flip date is when the tier really moves, with no event in between.
    flips = datetime.fromisoformat(closest["changes_at"])
    clock.set(flips - timedelta(seconds=1))
    await reviews.review_due(app.state.engine, clock)
    assert (await customer(client, admin_key))["tiers"]["value"]["tier"] == "vip"
    clock.set(flips)
    await reviews.review_due(app.state.engine, clock)
    after = (await get_explain(client, admin_key)).json()
    assert (after["current"]["tier"], after["qualifies_for"]) == ("regular", "regular")
    assert await _classified(app, "crm-1", "value", clock.now()) == ("regular", "regular")


async def test_a_held_downgrade_shows_its_date_target_and_what_would_cancel_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    monthly = {
        "name": "Monthly",
        "tiers": [
            {
                "key": "vip",
                "name": "VIP",
                "condition": {"field": "metrics.spend_30d", "op": "gte", "value": "1000.00"},
            }
        ],
        "default_tier": "regular",
        "downgrade_grace_days": 30,
    }
    await put_scheme(client, admin_key, monthly)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "1000.00", T0)
    stops = datetime.fromisoformat("2026-12-20T00:00:00+00:00")  # the order leaves the window
    clock.set(stops)
    await reviews.review_due(app.state.engine, clock)

    body = (await get_explain(client, admin_key)).json()
    assert body["current"]["tier"] == "vip"
    assert body["current"]["pending_downgrade"] == {
        "to": "regular",
        "since": iso(stops),
        "at": iso(stops + timedelta(days=30)),
    }
    assert body["qualifies_for"] == "regular"
    assert await _classified(app, "crm-1", "value", clock.now()) == ("regular", "vip")
    assert [(t["key"], t["holds"], t["condition"] is None) for t in body["tiers"]] == [
        ("vip", False, False),
        ("regular", True, True),
    ]
    assert body["next_tier"] is None
    assert body["keep_tier"]["holds"] is False
    assert body["keep_tier"]["lose_if"] is None
    assert body["keep_tier"]["missing"]["text"] == "1000.00 more spend_30d"


async def test_a_customer_without_a_tier_yet_is_explained_from_the_qualified_tier(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await order(client, admin_key, "o1", "4600.00", T0)
    await put_scheme(client, admin_key, VALUE)  # its job has not run: no tier yet
    body = (await get_explain(client, admin_key)).json()
    assert body["current"] is None
    assert body["qualifies_for"] == "regular"
    assert body["keep_tier"] is None
    assert body["next_tier"]["key"] == "vip"
    assert body["next_tier"]["missing"]["text"] == "400.00 more spend_365d"

    await run_until_idle(app.state.engine, clock)
    assert (await get_explain(client, admin_key)).json()["current"]["tier"] == "regular"
    assert await _classified(app, "crm-1", "value", clock.now()) == ("regular", "regular")


async def test_explain_refuses_unknown_customers_and_schemes_archived_schemes_and_other_scopes(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    make_key: KeyFactory,
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await put_scheme(client, admin_key, VALUE, "old")
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "10.00", T0)
    assert (await client.delete("/v1/schemes/old", headers=bearer(admin_key))).status_code == 204

    for response, status in (
        (await get_explain(client, admin_key, customer_id="nobody"), 404),
        (await get_explain(client, admin_key, scheme="nothing"), 404),
        (await get_explain(client, admin_key, scheme="old"), 409),
        (await get_explain(client, await make_key("events:write")), 403),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    reader = await make_key("customers:read")
    assert (await get_explain(client, reader)).status_code == 200


def test_the_documented_example_is_what_explain_says() -> None:
    vip = {
        "all": [
            {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
            {
                "any": [
                    {"field": "metrics.orders_90d", "op": "gte", "value": 2},
                    {"field": "traits.industry", "op": "in", "value": ["machinery", "chemicals"]},
                ]
            },
        ]
    }
    regular = {"field": "metrics.orders_90d", "op": "gte", "value": 1}
    scheme = scheme_from_definition(
        "value",
        2,
        {
            "name": "Value",
            "tiers": [
                {"key": "vip", "name": "VIP", "condition": vip},
                {"key": "regular", "name": "Regular", "condition": regular},
            ],
            "default_tier": "potential",
            "downgrade_grace_days": 0,
            "min_days_in_tier": 0,
            "grace_on_change": True,
        },
    )
    customer = {
        **a_customer({"spend_365d": "4600.00", "orders_90d": 1}, {"industry": "retail"}),
        "customer_id": "crm-42",
    }
    since = datetime.fromisoformat("2026-08-12T09:30:00Z")
    result = explain(
        scheme,
        customer,
        Assignment("regular", 2, since),
        NOW,
        field_catalog(),
        "EUR",
        [DayTotals(date(2026, 11, 10), Decimal("4600.00"), 1)],
    )
    assert result.model_dump(mode="json", by_alias=True) == EXAMPLE_EXPLANATION
