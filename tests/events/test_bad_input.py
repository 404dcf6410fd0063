"""Every kind of bad event input gets a 4xx problem naming what is wrong, and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import bearer
from tests.events.test_ingest import EVENT, count_rows, event

# (case, body, status, field named in the problem)
BAD_EVENTS: list[tuple[str, dict[str, Any], int, str]] = [
    ("missing event_id", {k: v for k, v in EVENT.items() if k != "event_id"}, 422, "event_id"),
    ("empty event_id", event(event_id=""), 422, "event_id"),
    ("event_id over 200", event(event_id="e" * 201), 422, "event_id"),
    ("event_id with control char", event(event_id="ord\n1"), 422, "event_id"),
    ("event_id with NUL", event(event_id="ord\x001"), 422, "event_id"),
    (
        "missing customer_id",
        {k: v for k, v in EVENT.items() if k != "customer_id"},
        422,
        "customer_id",
    ),
    ("empty customer_id", event(customer_id=""), 422, "customer_id"),
    ("customer_id over 200", event(customer_id="c" * 201), 422, "customer_id"),
    ("customer_id with control char", event(customer_id="crm\t42"), 422, "customer_id"),
    ("customer_id with slash", event(customer_id="crm/42"), 422, "customer_id"),
    ("bad type", event(type="Order!"), 422, "type"),
    ("type over 64", event(type="a" * 65), 422, "type"),
    ("naive timestamp", event(occurred_at="2026-11-01T10:00:00"), 422, "occurred_at"),
    ("not a timestamp", event(occurred_at="yesterday"), 422, "occurred_at"),
    ("timestamp before 1970", event(occurred_at="1969-12-31T23:59:59Z"), 422, "occurred_at"),
    ("timestamp 6 minutes ahead", event(occurred_at="2026-11-20T12:06:00Z"), 422, "occurred_at"),
    ("negative amount", event(amount="-0.01"), 422, "amount"),
    ("non-numeric amount", event(amount="12,50"), 422, "amount"),
    ("NaN amount", event(amount="NaN"), 422, "amount"),
    ("infinite amount", event(amount="Infinity"), 422, "amount"),
    ("5 decimal places", event(amount="1.00001"), 422, "amount"),
    ("order without amount", event(amount=None), 422, "amount"),
    ("refund without amount", event(type="refund", amount=None), 422, "amount"),
    ("unknown currency", event(currency="XYZ"), 422, "currency"),
    ("lowercase currency", event(currency="eur"), 422, "currency"),
    ("properties not an object", event(properties=["a"]), 422, "properties"),
    ("traits not an object", event(traits="vip"), 422, "traits"),
    ("properties over 16 KiB", event(properties={"p": "x" * 16_400}), 422, "properties"),
    ("traits over 16 KiB", event(traits={"t": "x" * 16_400}), 422, "traits"),
    ("NUL inside properties", event(properties={"note": "a\x00b"}), 422, "properties"),
    ("NUL inside a trait key", event(traits={"a\x00": 1}), 422, "traits"),
    ("unknown field", event(amout="1.00"), 422, "amout"),
]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in BAD_EVENTS],
    ids=[case[0] for case in BAD_EVENTS],
)
async def test_bad_event_is_refused_naming_the_field_and_nothing_is_stored(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    response = await client.post("/v1/events", json=body, headers=bearer(admin_key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert field in [error["field"] for error in problem["errors"]], problem
    assert problem["detail"]

    batch = await client.post(
        "/v1/events/batch", json={"events": [body]}, headers=bearer(admin_key)
    )
    assert batch.status_code == 200
    (result,) = batch.json()["results"]
    assert result["status"] == "rejected"
    assert field in [error["field"] for error in result["problem"]["errors"]]

    assert await count_rows(app, "events") == 0
    assert await count_rows(app, "customers") == 0
    assert await count_rows(app, "customer_days") == 0


RAW_BAD_BODIES: list[tuple[str, bytes, str, int, str]] = [
    ("invalid JSON", b'{"event_id": "x",', "application/json", 400, "invalid-json"),
    (
        "not UTF-8",
        json.dumps(EVENT).replace("crm-42", "crm-\xe9").encode("latin-1"),
        "application/json",
        400,
        "invalid-encoding",
    ),
    ("wrong content type", json.dumps(EVENT).encode(), "text/plain", 415, "unsupported-media-type"),
    (
        "form body",
        b"event_id=x",
        "application/x-www-form-urlencoded",
        415,
        "unsupported-media-type",
    ),
    ("JSON but not an object", b"[1, 2]", "application/json", 422, "validation-error"),
    ("no body", b"", "application/json", 422, "validation-error"),
    (
        "NaN inside properties",
        json.dumps(EVENT).replace('"store"', "NaN").encode(),
        "application/json",
        422,
        "validation-error",
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "slug"),
    [case[1:] for case in RAW_BAD_BODIES],
    ids=[case[0] for case in RAW_BAD_BODIES],
)
@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/batch"])
async def test_malformed_body_is_refused_and_nothing_is_stored(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    path: str,
    body: bytes,
    content_type: str,
    status: int,
    slug: str,
) -> None:
    response = await client.post(
        path, content=body, headers={**bearer(admin_key), "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:tierline:problem:{slug}"
    assert await count_rows(app, "events") == 0


async def test_batch_that_is_not_a_list_of_objects_is_422(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    for body, field in (({"events": "x"}, "events"), ({}, "events"), ({"events": [1]}, "events.0")):
        response = await client.post("/v1/events/batch", json=body, headers=bearer(admin_key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("mode", ["normal", "backfill"])
async def test_a_batch_item_whose_event_id_is_not_unicode_is_rejected_without_it(
    client: httpx.AsyncClient, admin_key: str, mode: str
) -> None:
    """JSON parses a lone surrogate ("\\ud800"); echoing it back failed the whole batch's
    answer (a 500)."""
    item = json.dumps(event(event_id="ord-\ud800"))
    body = f'{{"mode": "{mode}", "events": [{item}, {json.dumps(event(event_id="ok-1"))}]}}'
    response = await client.post(
        "/v1/events/batch",
        content=body.encode(),
        headers={**bearer(admin_key), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    rejected, created = response.json()["results"]
    assert (rejected["event_id"], rejected["status"]) == (None, "rejected")
    assert rejected["problem"]["errors"][0]["field"] == "event_id"
    assert (created["event_id"], created["status"]) == ("ok-1", "created")


async def test_traits_that_are_not_unicode_are_refused_as_such(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    body = json.dumps(event(traits={"industry": "\ud800"}))
    response = await client.post(
        "/v1/events",
        content=body.encode(),
        headers={**bearer(admin_key), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "traits", "message": "must be valid Unicode", "code": "value_error"}
    ]


async def test_event_traits_merged_past_16_kib_are_refused_and_the_rest_of_the_batch_stored(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    chunk = "x" * 6000  # each event is well under the limit; three merged are over it
    for n in range(2):
        response = await client.post(
            "/v1/events",
            json=event(event_id=f"t{n}", traits={f"t{n}": chunk}),
            headers=bearer(admin_key),
        )
        assert response.status_code == 201, response.text

    single = await client.post(
        "/v1/events", json=event(event_id="t2", traits={"t2": chunk}), headers=bearer(admin_key)
    )
    assert single.status_code == 422, single.text
    assert single.json()["errors"][0] == {
        "field": "traits",
        "code": "too_large",
        "message": single.json()["errors"][0]["message"],
    }

    batch = await client.post(
        "/v1/events/batch",
        json={
            "events": [
                event(event_id="t3", traits={"t3": chunk}),
                event(event_id="other", customer_id="crm-7", traits={"t": chunk}),
            ]
        },
        headers=bearer(admin_key),
    )
    assert batch.status_code == 200, batch.text
    refused, stored = batch.json()["results"]
    assert refused["status"] == "rejected"
    assert refused["problem"]["errors"][0]["code"] == "too_large"
    assert stored["status"] == "created"

    # Neither refused event nor its traits were kept; the other customer's event was.
    assert await count_rows(app, "events") == 3
    customer = await client.get("/v1/customers/crm-42", headers=bearer(admin_key))
    assert sorted(customer.json()["traits"]) == ["t0", "t1"]
    assert customer.json()["metrics"]["order_count"] == 2
