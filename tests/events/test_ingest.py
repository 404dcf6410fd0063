"""POST /v1/events and /v1/events/batch: what is stored, what is answered."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from tests.conftest import KeyFactory, bearer

EVENT: dict[str, Any] = {
    "event_id": "ord-1001",
    "customer_id": "crm-42",
    "type": "order",
    "occurred_at": "2026-11-01T10:00:00Z",
    "amount": "129.90",
    "currency": "EUR",
    "properties": {"channel": "store"},
    "traits": {"industry": "machinery"},
}


def event(**changes: Any) -> dict[str, Any]:
    return {**EVENT, **changes}


async def count_rows(app: Any, table: str) -> int:
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_created_event_reports_the_customers_resulting_metrics(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post("/v1/events", json=EVENT, headers=bearer(admin_key))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["event_id"]) == ("created", "ord-1001")
    customer = body["customer"]
    assert customer["traits"] == {"industry": "machinery"}
    assert customer["tiers"] == {}
    metrics = customer["metrics"]
    assert metrics["order_count"] == 1
    assert metrics["lifetime_spend"] == "129.90"
    assert metrics["spend_30d"] == "129.90"
    assert metrics["days_since_last_order"] == 19
    assert customer["next_review_at"] == "2026-12-01T00:00:00Z"


async def test_replay_is_a_duplicate_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post("/v1/events", json=EVENT, headers=bearer(admin_key))
    # Same content, formatted differently: still the same event.
    replay = event(amount="129.9", occurred_at="2026-11-01T11:00:00+01:00")
    response = await client.post("/v1/events", json=replay, headers=bearer(admin_key))
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert response.json()["customer"]["metrics"]["order_count"] == 1
    assert await count_rows(app, "events") == 1


async def test_same_id_with_a_different_body_is_409_and_changes_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post("/v1/events", json=EVENT, headers=bearer(admin_key))
    response = await client.post(
        "/v1/events", json=event(amount="130.00"), headers=bearer(admin_key)
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tierline:problem:event-id-conflict"
    customer = (await client.get("/v1/customers/crm-42", headers=bearer(admin_key))).json()
    assert customer["metrics"]["lifetime_spend"] == "129.90"


async def test_event_ids_are_scoped_to_the_workspace(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    other = (
        await client.post(
            "/v1/workspaces", json={"slug": "other", "name": "Other"}, headers=bearer(admin_key)
        )
    ).json()["admin_key"]["key"]
    first = await client.post("/v1/events", json=EVENT, headers=bearer(admin_key))
    second = await client.post("/v1/events", json=EVENT, headers=bearer(other))
    assert first.status_code == second.status_code == 201


async def test_refunds_visits_and_custom_types_feed_their_metrics(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    sent = [
        event(event_id="o1", amount="100.00"),
        event(event_id="o2", amount="50.00", occurred_at="2026-11-19T09:00:00Z"),
        event(event_id="r1", type="refund", amount="30.00", occurred_at="2026-11-19T10:00:00Z"),
        event(event_id="v1", type="visit", amount=None, currency=None),
        event(event_id="c1", type="showroom_visit", amount=None, currency=None),
    ]
    for item in sent:
        response = await client.post("/v1/events", json=item, headers=bearer(admin_key))
        assert response.status_code == 201, response.text
    metrics = response.json()["customer"]["metrics"]
    assert metrics["order_count"] == 2
    assert metrics["lifetime_spend"] == "120.00"
    assert metrics["refund_total"] == "30.00"
    assert metrics["avg_order_value"] == "75.00"
    assert metrics["refund_count"] == 1
    assert metrics["visit_count"] == 1
    assert metrics["showroom_visit_count"] == 1
    assert metrics["last_order_at"] == "2026-11-19T09:00:00Z"
    assert metrics["days_since_last_order"] == 1


async def test_event_traits_merge_into_the_customer(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post(
        "/v1/events",
        json=event(event_id="a", traits={"industry": "machinery", "size": "large"}),
        headers=bearer(admin_key),
    )
    response = await client.post(
        "/v1/events",
        json=event(event_id="b", traits={"size": None, "region": "north"}),
        headers=bearer(admin_key),
    )
    assert response.json()["customer"]["traits"] == {"industry": "machinery", "region": "north"}


async def test_foreign_currency_is_converted_once_with_the_rate_then_in_force(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    rates = await client.put(
        "/v1/fx-rates", json={"rates": {"USD": "0.92"}}, headers=bearer(admin_key)
    )
    assert rates.status_code == 200
    assert rates.json()["rates"] == {"USD": "0.92"}
    first = await client.post(
        "/v1/events",
        json=event(event_id="u1", amount="100.00", currency="USD"),
        headers=bearer(admin_key),
    )
    assert first.json()["customer"]["metrics"]["lifetime_spend"] == "92.00"

    await client.put("/v1/fx-rates", json={"rates": {"USD": "0.50"}}, headers=bearer(admin_key))
    second = await client.post(
        "/v1/events",
        json=event(event_id="u2", amount="100.00", currency="USD"),
        headers=bearer(admin_key),
    )
    assert second.json()["customer"]["metrics"]["lifetime_spend"] == "142.00"

    stored = (await client.get("/v1/customers/crm-42/events", headers=bearer(admin_key))).json()[
        "items"
    ]
    by_id = {item["event_id"]: item for item in stored}
    assert (by_id["u1"]["amount"], by_id["u1"]["currency"]) == ("100.00", "USD")
    assert (by_id["u1"]["amount_base"], by_id["u1"]["fx_rate"]) == ("92.00", "0.92")
    assert (by_id["u2"]["amount_base"], by_id["u2"]["fx_rate"]) == ("50.00", "0.5")


async def test_a_converted_amount_is_rounded_once_to_the_base_currencys_minor_units(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    """99.90 USD at 0.92 is 91.908 EUR: stored, summed and shown as 91.91 (half-even), never
    as two numbers; a base currency without minor units (JPY) rounds to whole units."""
    await client.put("/v1/fx-rates", json={"rates": {"USD": "0.92"}}, headers=bearer(admin_key))
    sent = await client.post(
        "/v1/events",
        json=event(event_id="u1", amount="99.90", currency="USD"),
        headers=bearer(admin_key),
    )
    metrics = sent.json()["customer"]["metrics"]
    assert (metrics["lifetime_spend"], metrics["spend_30d"]) == ("91.91", "91.91")
    half = await client.post(
        "/v1/events",
        json=event(event_id="u2", amount="10.05", currency="USD"),  # 9.246: half-even to 9.25
        headers=bearer(admin_key),
    )
    assert half.json()["customer"]["metrics"]["lifetime_spend"] == "101.16"
    stored = (await client.get("/v1/customers/crm-42/events", headers=bearer(admin_key))).json()
    assert sorted(item["amount_base"] for item in stored["items"]) == ["9.25", "91.91"]

    await client.patch("/v1/workspace", json={"base_currency": "JPY"}, headers=bearer(admin_key))
    await client.put("/v1/fx-rates", json={"rates": {"USD": "150.25"}}, headers=bearer(admin_key))
    yen = await client.post(
        "/v1/events",
        json=event(event_id="y1", customer_id="crm-jp", amount="10.50", currency="USD"),
        headers=bearer(admin_key),
    )
    assert yen.status_code == 201, yen.text
    shown = (await client.get("/v1/customers/crm-jp/events", headers=bearer(admin_key))).json()
    # 1577.625 rounded to whole yen, and shown in whole yen.
    assert shown["items"][0]["amount_base"] == "1578"


async def test_currency_without_a_rate_is_422_and_stores_nothing(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    response = await client.post(
        "/v1/events", json=event(currency="JPY"), headers=bearer(admin_key)
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:tierline:problem:missing-fx-rate"
    assert response.json()["errors"][0]["field"] == "currency"
    assert "PUT /v1/fx-rates" in response.json()["detail"]
    assert await count_rows(app, "events") == 0
    assert await count_rows(app, "customers") == 0


async def test_fx_rates_refuse_bad_input(client: httpx.AsyncClient, admin_key: str) -> None:
    for rates, field in (
        ({"EUR": "1"}, "rates.EUR"),
        ({"USD": "0"}, "rates.USD"),
        ({"USD": "-1"}, "rates.USD"),
        ({"USD": "abc"}, "rates.USD"),
        ({"ZZZ": "1.1"}, "rates.ZZZ"),
    ):
        response = await client.put(
            "/v1/fx-rates", json={"rates": rates}, headers=bearer(admin_key)
        )
        assert response.status_code == 422, rates
        assert response.json()["errors"][0]["field"].startswith(field), response.json()


async def test_batch_judges_each_item_alone_and_answers_in_request_order(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post("/v1/events", json=event(event_id="dup"), headers=bearer(admin_key))
    items = [
        event(event_id="b1", customer_id="zed"),
        event(event_id="dup"),
        event(event_id="bad", amount="-5"),
        event(event_id="b2", customer_id="amy"),
        event(event_id="dup", amount="1.00"),
        event(event_id="nofx", currency="GBP"),
        {"event_id": 7},
        event(event_id="b1", customer_id="zed"),
    ]
    response = await client.post(
        "/v1/events/batch", json={"events": items}, headers=bearer(admin_key)
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["event_id"], r["status"]) for r in results] == [
        ("b1", "created"),
        ("dup", "duplicate"),
        ("bad", "rejected"),
        ("b2", "created"),
        ("dup", "rejected"),
        ("nofx", "rejected"),
        (None, "rejected"),
        ("b1", "duplicate"),
    ]
    assert results[2]["problem"]["errors"][0]["field"] == "amount"
    assert results[4]["problem"]["status"] == 409
    assert results[5]["problem"]["type"] == "urn:tierline:problem:missing-fx-rate"
    assert {e["field"] for e in results[6]["problem"]["errors"]} >= {"event_id", "customer_id"}
    assert await count_rows(app, "events") == 3


async def test_batch_over_1000_items_is_refused_whole(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    items = [event(event_id=f"e{i}") for i in range(1001)]
    response = await client.post(
        "/v1/events/batch", json={"events": items}, headers=bearer(admin_key)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "events"
    assert await count_rows(app, "events") == 0


async def test_batch_of_1000_is_accepted(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    items = [event(event_id=f"e{i}", customer_id=f"c{i % 50}") for i in range(1000)]
    response = await client.post(
        "/v1/events/batch", json={"events": items}, headers=bearer(admin_key)
    )
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    assert await count_rows(app, "events") == 1000
    customer = (await client.get("/v1/customers/c7", headers=bearer(admin_key))).json()
    assert customer["metrics"]["order_count"] == 20


async def test_body_size_limits_are_1_mib_and_10_mib_for_batches(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    big = event(properties={"blob": "x" * 1_100_000})
    single = await client.post("/v1/events", json=big, headers=bearer(admin_key))
    assert single.status_code == 413
    # The same 1.1 MB fits a batch body, where the item itself is then judged too large.
    batch = await client.post("/v1/events/batch", json={"events": [big]}, headers=bearer(admin_key))
    assert batch.status_code == 200
    assert batch.json()["results"][0]["problem"]["errors"][0]["field"] == "properties"
    huge = {"events": [event(event_id=f"h{i}", properties={"p": "y" * 15000}) for i in range(700)]}
    too_big = await client.post("/v1/events/batch", json=huge, headers=bearer(admin_key))
    assert too_big.status_code == 413
    assert await count_rows(app, "events") == 0


async def test_events_need_the_events_write_scope(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    reader = await make_key("customers:read")
    response = await client.post("/v1/events", json=EVENT, headers=bearer(reader))
    assert response.status_code == 403
    writer = await make_key("events:write")
    assert (await client.post("/v1/events", json=EVENT, headers=bearer(writer))).status_code == 201


BUYERS = {
    "name": "Buyers",
    "tiers": [
        {
            "key": "buyer",
            "name": "Buyer",
            "condition": {"field": "metrics.order_count", "op": "gte", "value": 1},
        }
    ],
    "default_tier": "prospect",
}


async def test_a_key_that_may_only_send_events_gets_no_profile_back(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    scheme = await client.put("/v1/schemes/buyers", json=BUYERS, headers=bearer(admin_key))
    assert scheme.status_code == 201, scheme.text
    writer = await make_key("events:write")
    created = await client.post("/v1/events", json=EVENT, headers=bearer(writer))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["event_id"], body["customer"]) == ("created", "ord-1001", None)
    assert [(c["scheme"], c["to_tier"]) for c in body["tier_changes"]] == [("buyers", "buyer")]
    replay = await client.post("/v1/events", json=EVENT, headers=bearer(writer))
    assert replay.status_code == 200
    assert (replay.json()["status"], replay.json()["customer"]) == ("duplicate", None)
    batch = await client.post(
        "/v1/events/batch", json={"events": [event(event_id="ord-1002")]}, headers=bearer(writer)
    )
    assert batch.status_code == 200
    assert all("customer" not in result for result in batch.json()["results"])


async def test_a_key_that_may_also_read_customers_gets_the_profile_back(
    client: httpx.AsyncClient, make_key: KeyFactory
) -> None:
    key = await make_key("events:write", "customers:read")
    created = await client.post("/v1/events", json=EVENT, headers=bearer(key))
    assert created.status_code == 201, created.text
    assert created.json()["customer"]["traits"] == {"industry": "machinery"}
    replay = await client.post("/v1/events", json=EVENT, headers=bearer(key))
    assert replay.json()["customer"]["metrics"]["order_count"] == 1


async def test_a_changed_base_currency_applies_to_the_next_event_only(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.post(
        "/v1/events", json=event(event_id="eur", currency=None), headers=bearer(admin_key)
    )
    assert (
        await client.patch(
            "/v1/workspace", json={"base_currency": "USD"}, headers=bearer(admin_key)
        )
    ).status_code == 200
    rates = await client.put(
        "/v1/fx-rates", json={"rates": {"EUR": "1.10"}}, headers=bearer(admin_key)
    )
    assert rates.json()["base_currency"] == "USD"
    usd = await client.post(
        "/v1/events",
        json=event(event_id="usd", currency=None, amount="10.00"),
        headers=bearer(admin_key),
    )
    eur = await client.post(
        "/v1/events",
        json=event(event_id="eur2", currency="EUR", amount="10.00"),
        headers=bearer(admin_key),
    )
    assert usd.status_code == eur.status_code == 201
    stored = (await client.get("/v1/customers/crm-42/events", headers=bearer(admin_key))).json()[
        "items"
    ]
    by_id = {item["event_id"]: item for item in stored}
    assert (by_id["eur"]["currency"], by_id["eur"]["amount_base"]) == ("EUR", "129.90")
    assert (by_id["usd"]["currency"], by_id["usd"]["amount_base"]) == ("USD", "10.00")
    assert (by_id["eur2"]["amount_base"], by_id["eur2"]["fx_rate"]) == ("11.00", "1.1")
