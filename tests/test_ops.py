"""Operations endpoints and request ids: /healthz, /readyz, /metrics, X-Request-Id."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.db.migrate import head_revision
from app.db.url import with_database
from app.main import create_app
from app.settings import Settings
from tests.conftest import T0, bearer


async def test_healthz_answers_ok_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_is_at_the_head_migration(
    client: httpx.AsyncClient,
) -> None:
    head = head_revision()
    assert head is not None
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migration": head,
        "expected_migration": head,
    }


async def test_readyz_is_503_while_the_database_is_behind_head(
    app: Any, client: httpx.AsyncClient
) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "migrating",
        "database": "ok",
        "migration": "0001",
        "expected_migration": head_revision(),
    }


async def test_readyz_is_503_when_the_database_is_unreachable(database_url: str) -> None:
    missing = with_database(database_url, f"missing_{uuid.uuid4().hex[:8]}")
    application = create_app(Settings(database_url=missing))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "migration": None,
        "expected_migration": head_revision(),
    }


def _sample(metrics_text: str, name: str, **labels: str) -> float | None:
    """The value of the one Prometheus sample whose labels include ``labels``, or None."""
    values = [
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    ]
    assert len(values) <= 1, f"{name}{labels} matches several samples"
    return values[0] if values else None


async def test_metrics_count_requests_by_route_template_not_by_raw_path(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    await client.get("/v1/api-keys")
    await client.get("/v1/api-keys")
    key_id = uuid.uuid4()
    await client.delete(f"/v1/api-keys/{key_id}", headers={"Authorization": f"Bearer {admin_key}"})
    await client.get("/no/such/route")
    event = {"event_id": "e1", "customer_id": "c1", "type": "visit", "occurred_at": T0.isoformat()}
    sent = await client.post("/v1/events", json=event, headers=bearer(admin_key))
    assert sent.status_code == 201, sent.text

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert "# TYPE tierline_http_requests_total counter" in body
    assert (
        _sample(
            body, "tierline_http_requests_total", method="GET", route="/v1/api-keys", status="401"
        )
        == 2.0
    )
    assert (
        _sample(
            body,
            "tierline_http_requests_total",
            method="DELETE",
            route="/v1/api-keys/{key_id}",
            status="404",
        )
        == 1.0
    )
    assert str(key_id) not in body
    assert "/no/such/route" not in body
    assert _sample(body, "tierline_http_requests_total", route="unmatched", status="404") == 1.0
    assert (
        _sample(body, "tierline_http_request_duration_seconds_count", route="/v1/api-keys") == 2.0
    )
    # The event route's lean handler (app.api.deps.LeanRoute) is counted like any other.
    assert (
        _sample(
            body, "tierline_http_requests_total", method="POST", route="/v1/events", status="201"
        )
        == 1.0
    )


async def test_a_safe_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "crm-sync:42.a_b"})
    assert response.headers["x-request-id"] == "crm-sync:42.a_b"


async def test_a_request_without_an_id_gets_a_fresh_one(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/v1/api-keys")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
    assert ids[0] != ids[1]


async def test_an_unsafe_incoming_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    for unsafe in (b"abc def", b"<script>", b"a" * 129, "id\u00e9".encode()):
        response = await client.get("/healthz", headers={b"X-Request-Id": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"]), unsafe
