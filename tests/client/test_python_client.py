"""The Python client in clients/python, used as an integrator would, against a running
`tierline serve`: events, customers, schemes, segments, endpoints and analytics, typed end to
end; and the client README's examples, run as written."""

from __future__ import annotations

import datetime
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from tierline_client import AuthenticatedClient
from tierline_client.api.analytics import tier_distribution
from tierline_client.api.customers import get_customer, list_customer_events
from tierline_client.api.events import send_batch, send_event
from tierline_client.api.jobs import get_job
from tierline_client.api.schemes import put_scheme
from tierline_client.api.segments import count_customers, put_segment, search_customers
from tierline_client.api.webhooks import create_endpoint, list_endpoint_messages, test_endpoint
from tierline_client.models import (
    BatchIn,
    BatchInEventsItem,
    CountIn,
    CountOut,
    Customer,
    Distribution,
    EndpointIn,
    EndpointWithSecret,
    EventCreated,
    EventIn,
    Job,
    PageMessage,
    PageSearchItem,
    PageStoredEvent,
    Problem,
    Scheme,
    SchemeIn,
    SearchIn,
    Segment,
    SegmentIn,
)
from tierline_client.types import UNSET, Unset

from tests.conftest import ROOT
from tests.live import Live, free_port, serve

CLIENT_README = ROOT / "clients" / "python" / "README.md"
NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture
async def tierline(database_url: str, tmp_path: Path) -> AsyncIterator[Live]:
    async with serve(database_url, tmp_path) as live:
        yield live


@pytest.fixture
async def client(tierline: Live) -> AsyncIterator[AuthenticatedClient]:
    async with AuthenticatedClient(base_url=tierline.url, token=tierline.key) as client:
        yield client


def _order(event_id: str, customer_id: str, amount: str, days_ago: int = 0) -> EventIn:
    return EventIn(
        event_id=event_id,
        customer_id=customer_id,
        type_="order",
        occurred_at=NOW - datetime.timedelta(days=days_ago),
        amount=amount,
    )


async def _finished(client: AuthenticatedClient, job_id: UUID | Unset | None) -> None:
    assert isinstance(job_id, UUID)
    for _ in range(300):
        job = await get_job.asyncio(job_id, client=client)
        assert isinstance(job, Job)
        if job.status == "succeeded":
            return
        assert job.status in ("queued", "running"), job
        await _sleep()
    raise AssertionError(f"job {job_id} did not finish")


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.1)


async def test_events_and_customers_round_trip_as_typed_models(
    client: AuthenticatedClient,
) -> None:
    created = await send_event.asyncio_detailed(client=client, body=_order("o-1", "c-1", "99.90"))
    assert created.status_code == 201
    assert isinstance(created.parsed, EventCreated)
    assert created.parsed.status == "created"
    again = await send_event.asyncio_detailed(client=client, body=_order("o-1", "c-1", "99.90"))
    assert again.status_code == 200
    assert isinstance(again.parsed, EventCreated) and again.parsed.status == "duplicate"

    batch = await send_batch.asyncio(
        client=client,
        body=BatchIn(
            events=[
                BatchInEventsItem.from_dict(event.to_dict())
                for event in (_order("o-2", "c-1", "10.10", days_ago=1), _order("o-3", "c-1", "-1"))
            ]
        ),
    )
    assert batch is not None and not isinstance(batch, Problem)
    assert [(r.event_id, r.status) for r in batch.results] == [
        ("o-2", "created"),
        ("o-3", "rejected"),
    ]

    customer = await get_customer.asyncio("c-1", client=client)
    assert isinstance(customer, Customer)
    assert customer.metrics.order_count == 2
    assert customer.metrics.lifetime_spend == "110.00"

    seen: list[str] = []
    cursor: str | Unset | None = UNSET
    while True:
        page = await list_customer_events.asyncio("c-1", client=client, limit=1, cursor=cursor)
        assert isinstance(page, PageStoredEvent)
        seen += [event.event_id for event in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == ["o-1", "o-2"]  # newest first, one a page

    missing = await get_customer.asyncio_detailed("nobody", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Problem)
    assert missing.parsed.type_ == "urn:tierline:problem:not-found"


async def test_schemes_segments_and_analytics_through_the_client(
    client: AuthenticatedClient,
) -> None:
    for n, amount in enumerate(["6000.00", "50.00", "7000.00"]):
        await send_event.asyncio(client=client, body=_order(f"o-{n}", f"c-{n}", amount))
    scheme = await put_scheme.asyncio(
        "value",
        client=client,
        body=SchemeIn.from_dict(
            {
                "name": "Value",
                "tiers": [
                    {
                        "key": "vip",
                        "name": "VIP",
                        "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 5000},
                    }
                ],
                "default_tier": "regular",
            }
        ),
    )
    assert isinstance(scheme, Scheme) and scheme.version == 1
    await _finished(client, scheme.job_id)

    vip = {"field": "tiers.value", "op": "eq", "value": "vip"}
    count = await count_customers.asyncio(client=client, body=CountIn.from_dict({"condition": vip}))
    assert isinstance(count, CountOut) and count.count == 2

    found: list[str] = []
    cursor: str | Unset | None = UNSET
    while True:
        body: dict[str, Any] = {"condition": vip, "limit": 1}
        if isinstance(cursor, str):
            body["cursor"] = cursor
        page = await search_customers.asyncio(client=client, body=SearchIn.from_dict(body))
        assert isinstance(page, PageSearchItem)
        found += [item["customer_id"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert found == ["c-0", "c-2"]

    segment = await put_segment.asyncio(
        "big", client=client, body=SegmentIn.from_dict({"name": "Big", "condition": vip})
    )
    assert isinstance(segment, Segment) and segment.key == "big"

    distribution = await tier_distribution.asyncio("value", client=client)
    assert isinstance(distribution, Distribution)
    assert distribution.total == 3
    assert {(t.tier, t.count, t.share) for t in distribution.tiers} == {
        ("vip", 2, "0.6667"),
        ("regular", 1, "0.3333"),
    }


async def test_endpoints_and_their_messages_through_the_client(
    client: AuthenticatedClient,
) -> None:
    # A loopback port nobody listens on: the ping is recorded and its attempt fails there.
    body = EndpointIn.from_dict({"url": f"http://127.0.0.1:{free_port()}/hook"})
    endpoint = await create_endpoint.asyncio(client=client, body=body, idempotency_key="ep-1")
    assert isinstance(endpoint, EndpointWithSecret)
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    assert endpoint.event_types is None  # every type
    # A retry with the same key is the same endpoint, its secret not shown again.
    retried = await create_endpoint.asyncio_detailed(
        client=client, body=body, idempotency_key="ep-1"
    )
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert isinstance(retried.parsed, EndpointWithSecret)
    assert (retried.parsed.id, retried.parsed.secret) == (endpoint.id, None)
    assert retried.parsed.secret_shown_once is True
    ping = await test_endpoint.asyncio_detailed(endpoint.id, client=client)
    assert ping.status_code == 202
    messages = await list_endpoint_messages.asyncio(endpoint.id, client=client)
    assert isinstance(messages, PageMessage)
    assert [message.type_ for message in messages.items] == ["ping"]


def _readme_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", CLIENT_README.read_text(), re.S)


async def test_the_client_readme_examples_run_as_written(tierline: Live) -> None:
    """Each example of clients/python/README.md, in order, in one namespace, against the live
    server; the webhook example then verifies a message signed with a real endpoint secret."""
    import asyncio

    from standardwebhooks import Webhook

    examples = _readme_examples()
    assert len(examples) == 4
    namespace: dict[str, Any] = {}

    def run_examples() -> None:
        for example in examples[:3]:
            code = example.replace("http://127.0.0.1:8000", tierline.url).replace(
                "tl_...", tierline.key
            )
            exec(compile(code, str(CLIENT_README), "exec"), namespace)  # noqa: S102

    await asyncio.to_thread(run_examples)
    assert namespace["created"].status == "created"
    assert isinstance(namespace["customer"], Customer)

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    exec(compile(examples[3].replace("whsec_...", secret), str(CLIENT_README), "exec"), namespace)  # noqa: S102
    body = (
        b'{"type": "customer.tier_changed", "timestamp": "2026-12-07T10:00:00Z", "data": '
        b'{"customer_id": "crm-42", "scheme": "value", "scheme_version": 1, "from_tier": null, '
        b'"to_tier": "vip", "direction": "entered", "reason": "event", '
        b'"changed_at": "2026-12-07T10:00:00Z", "metrics": {}, "sequence": 1}}'
    )
    moment = datetime.datetime.now(datetime.UTC)
    signature = Webhook(secret).sign("msg_1", moment, body.decode())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    namespace["receive"](body, headers)
    with pytest.raises(Exception, match="No matching signature"):
        namespace["receive"](body.replace(b"vip", b"top"), headers)
