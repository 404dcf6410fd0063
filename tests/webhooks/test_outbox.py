"""The outbox: every change an endpoint wants gets one message in the change's own transaction,
with one delivery per subscribed endpoint, whichever engine made the change; silent causes
write none; erasure takes the customer's messages with it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from app.webhooks import CHANNEL, outbox
from tests.conftest import T0, bearer, sealed
from tests.segments.test_segments import BIG_SPENDERS, put_segment
from tests.tiers.test_tier_lifecycle import VALUE, customer, order, put_scheme, scheme

ALL_TYPES = [
    "customer.tier_changed",
    "customer.segment_entered",
    "customer.segment_exited",
    "customer.deleted",
]


async def workspace_id(app: Any) -> uuid.UUID:
    async with app.state.engine.connect() as conn:
        return uuid.UUID(str((await conn.execute(text("SELECT id FROM workspaces"))).scalar_one()))


async def subscribe(
    app: Any,
    types: list[str] | None = None,
    filter_: dict[str, Any] | None = None,
    enabled: bool = True,
) -> uuid.UUID:
    """An endpoint row, written directly: these tests are about what the writers queue."""
    endpoint_id = uuid.uuid4()
    async with app.state.engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO webhook_endpoints (workspace_id, id, url, event_types, filter,
                    enabled, secret, created_at, updated_at)
                SELECT id, :id, 'http://127.0.0.1:9/hook', :types, CAST(:filter AS jsonb),
                       :enabled, :secret, :now, :now
                FROM workspaces
                """
            ),
            {
                "id": endpoint_id,
                "types": types or ALL_TYPES,
                "filter": json.dumps(filter_) if filter_ is not None else None,
                "enabled": enabled,
                "secret": sealed("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                "now": T0,
            },
        )
        # As the API does: processes drop their cached routes at their next event.
        await conn.execute(text("UPDATE workspaces SET config_version = config_version + 1"))
    return endpoint_id


async def messages(app: Any, type_: str | None = None) -> list[Any]:
    """Every message, oldest first, with the endpoints it is to be delivered to."""
    async with app.state.engine.connect() as conn:
        result = await conn.execute(
            text(
                """
                SELECT m.seq, m.type, m.customer_id, m.data,
                       array_agg(d.endpoint_id ORDER BY d.endpoint_id) AS endpoints
                FROM webhook_messages m
                JOIN webhook_deliveries d
                  ON d.workspace_id = m.workspace_id AND d.message_id = m.id
                WHERE CAST(:type AS text) IS NULL OR m.type = :type
                GROUP BY m.seq, m.type, m.customer_id, m.data
                ORDER BY m.seq
                """
            ),
            {"type": type_},
        )
        return list(result.all())


def tier_moves(rows: list[Any]) -> list[tuple[str, str, str | None, str, str]]:
    return [
        (
            r.data["customer_id"],
            r.data["scheme"],
            r.data["from_tier"],
            r.data["to_tier"],
            r.data["reason"],
        )
        for r in rows
        if r.type == "customer.tier_changed"
    ]


async def history_moves(app: Any) -> list[tuple[str, str, str | None, str, str]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT customer_id, scheme_key, from_tier, to_tier, reason FROM tier_history "
                "ORDER BY seq"
            )
        )
        return [tuple(r) for r in rows]


async def test_a_tier_change_is_one_message_with_a_delivery_per_subscribed_endpoint(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    first = await subscribe(app)
    second = await subscribe(app, ["customer.tier_changed"])
    await subscribe(app, ["customer.segment_entered"])  # not a tier subscriber
    await subscribe(app, enabled=False)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)

    await order(client, admin_key, "o1", "100.00", T0)
    await order(client, admin_key, "o2", "50.00", T0)  # still regular: no change, no message
    rows = await messages(app)
    assert len(rows) == 1
    (message,) = rows
    assert message.type == "customer.tier_changed"
    assert message.customer_id == "crm-1"
    assert sorted(message.endpoints) == sorted([first, second])
    profile = await customer(client, admin_key)
    assert message.data == {
        "customer_id": "crm-1",
        "scheme": "value",
        "scheme_version": 1,
        "from_tier": None,
        "to_tier": "regular",
        "direction": "entered",
        "reason": "event",
        "changed_at": "2026-11-20T12:00:00Z",
        # what the scheme's conditions read, as the profile shows them after the change
        "metrics": {"order_count": 1, "spend_365d": "100.00"},
    }
    assert profile["metrics"]["spend_365d"] == "150.00"  # the later order sent nothing

    # The message is readable with a delivery per endpoint, all pending.
    async with app.state.engine.connect() as conn:
        deliveries = (
            await conn.execute(
                text("SELECT status, attempts, next_attempt_at FROM webhook_deliveries")
            )
        ).all()
    assert [tuple(d) for d in deliveries] == [("pending", 0, T0), ("pending", 0, T0)]


async def test_no_endpoint_no_message_and_no_change_no_message(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "100.00", T0)
    assert await messages(app) == []
    assert len(await history_moves(app)) == 1

    await subscribe(app)
    await order(client, admin_key, "o2", "100.00", T0)
    assert await messages(app) == []


async def test_every_change_has_its_message_and_every_message_its_change(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    """Events (the Python engine), a new version and a review (the SQL engine and the
    scheduler path): the messages are exactly the tier history, and each customer's
    sequence numbers follow the order of its changes."""
    await subscribe(app)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    for n in range(6):
        await order(client, admin_key, f"o{n}", str(1000 * n), T0, customer_id=f"c{n % 3}")
    await put_scheme(
        client,
        admin_key,
        scheme(
            tiers=[
                {
                    "key": "vip",
                    "name": "VIP",
                    "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 3000},
                },
                *VALUE["tiers"][1:],
            ]
        ),
    )
    await run_until_idle(app.state.engine, clock)
    rows = await messages(app)
    assert tier_moves(rows) == await history_moves(app)
    assert {m[4] for m in tier_moves(rows)} == {"event", "rule_change"}
    for who in ("c0", "c1", "c2"):
        mine = [r for r in rows if r.customer_id == who]
        assert [r.seq for r in mine] == sorted(r.seq for r in mine)
        assert [r.data["from_tier"] for r in mine[1:]] == [r.data["to_tier"] for r in mine[:-1]]


async def test_a_new_version_reports_metrics_as_the_profile_shows_them(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    """The SQL engine's messages carry the same values, formatted the same way, as the
    profile and the Python engine's messages."""
    await subscribe(app, ["customer.tier_changed"])
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "4000.10", T0)
    await put_scheme(
        client,
        admin_key,
        scheme(
            tiers=[
                {
                    "key": "vip",
                    "name": "VIP",
                    "condition": {
                        "all": [
                            {"field": "metrics.spend_365d", "op": "gte", "value": 4000},
                            {"field": "metrics.last_order_at", "op": "within_days", "value": 30},
                        ]
                    },
                },
                *VALUE["tiers"][1:],
            ]
        ),
    )
    await run_until_idle(app.state.engine, clock)
    rows = await messages(app)
    assert tier_moves(rows) == [
        ("crm-1", "value", None, "regular", "event"),
        ("crm-1", "value", "regular", "vip", "rule_change"),
    ]
    profile = (await customer(client, admin_key))["metrics"]
    assert rows[1].data["metrics"] == {
        name: profile[name] for name in ("last_order_at", "order_count", "spend_365d")
    }
    assert rows[1].data["scheme_version"] == 2
    assert rows[1].data["direction"] == "up"


async def test_silent_causes_write_no_message(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await subscribe(app)
    await put_scheme(client, admin_key, VALUE)
    await put_segment(client, admin_key, BIG_SPENDERS)
    await run_until_idle(app.state.engine, clock)
    history = [
        {
            "event_id": f"h{n}",
            "customer_id": f"c{n}",
            "type": "order",
            "occurred_at": (T0 - timedelta(days=n)).isoformat(),
            "amount": "6000.00",
        }
        for n in range(3)
    ]
    response = await client.post(
        "/v1/events/batch", json={"events": history, "mode": "backfill"}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.text
    assert len(await history_moves(app)) == 3  # the import did classify them
    assert await messages(app) == []

    quiet = scheme(default_tier="prospect", notify=False)
    saved = await put_scheme(client, admin_key, quiet)
    assert "notify" not in saved
    await run_until_idle(app.state.engine, clock)
    assert len(await history_moves(app)) == 3  # vip stays vip: no move for a default rename
    await put_scheme(
        client,
        admin_key,
        scheme(
            tiers=[
                {
                    "key": "vip",
                    "name": "VIP",
                    "condition": {"field": "metrics.spend_365d", "op": "gte", "value": 9000},
                },
                *VALUE["tiers"][1:],
            ],
            grace_on_change=False,
            notify=False,
        ),
    )
    await run_until_idle(app.state.engine, clock)
    assert [m[3] for m in (await history_moves(app))[3:]] == ["regular"] * 3
    assert await messages(app) == []

    # The next version that is not silent is heard again.
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    assert [m[3] for m in tier_moves(await messages(app))] == ["vip"] * 3


async def test_segment_entries_and_exits_from_both_engines(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    only_big = await subscribe(
        app, ["customer.segment_entered", "customer.segment_exited"], {"segments": ["big"]}
    )
    other = await subscribe(app, ["customer.segment_entered"], {"segments": ["other"]})
    await order(client, admin_key, "o1", "5000.00", T0, customer_id="early")
    await put_segment(client, admin_key, BIG_SPENDERS)  # the job's SQL engine lets "early" in
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o2", "4500.00", T0, customer_id="late")  # Python engine
    await order(client, admin_key, "r1", "1000.00", T0, customer_id="late", kind="refund")

    rows = await messages(app)
    assert [(r.type, r.customer_id, r.data["reason"]) for r in rows] == [
        ("customer.segment_entered", "early", "rule_change"),
        ("customer.segment_entered", "late", "event"),
        ("customer.segment_exited", "late", "event"),
    ]
    assert all(r.endpoints == [only_big] for r in rows)
    assert other not in {e for r in rows for e in r.endpoints}
    assert rows[0].data == {
        "customer_id": "early",
        "segment": "big",
        "segment_version": 1,
        "reason": "rule_change",
        "changed_at": "2026-11-20T12:00:00Z",
    }


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({}, [(None, "regular"), ("regular", "vip"), ("vip", "regular")]),
        ({"direction": "up"}, [(None, "regular"), ("regular", "vip")]),
        ({"direction": "down"}, [("vip", "regular")]),
        ({"tiers": ["vip"], "direction": "down"}, [("vip", "regular")]),
        ({"tiers": ["vip"]}, [("regular", "vip"), ("vip", "regular")]),
        ({"schemes": ["other"]}, []),
        ({"schemes": ["value"], "tiers": ["potential"]}, []),
    ],
)
async def test_filters_choose_which_tier_changes_an_endpoint_gets(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    clock: FrozenClock,
    filter_: dict[str, Any],
    expected: list[tuple[str | None, str]],
) -> None:
    endpoint = await subscribe(app, ["customer.tier_changed"], filter_)
    everything = await subscribe(app, ["customer.tier_changed"])
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "100.00", T0)
    await order(client, admin_key, "o2", "5000.00", T0)
    await order(client, admin_key, "r1", "4000.00", T0, kind="refund")
    rows = await messages(app)
    assert len(rows) == 3 and all(everything in r.endpoints for r in rows)
    got = [(r.data["from_tier"], r.data["to_tier"]) for r in rows if endpoint in r.endpoints]
    assert got == expected


async def test_erasure_deletes_the_customers_messages_and_announces_it(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await subscribe(app)
    tiers_only = await subscribe(app, ["customer.tier_changed"])
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    await order(client, admin_key, "o1", "100.00", T0)
    await order(client, admin_key, "o2", "100.00", T0, customer_id="kept")
    async with app.state.engine.begin() as conn:  # an attempt with a response excerpt
        await conn.execute(
            text(
                "INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, "
                "attempted_at, status_code, latency_ms, response_excerpt) "
                "SELECT workspace_id, message_id, endpoint_id, :now, 500, 1.5, 'crm-1 failed' "
                "FROM webhook_deliveries"
            ),
            {"now": T0},
        )

    erased = await client.delete("/v1/customers/crm-1", headers=bearer(admin_key))
    assert erased.json()["erased"]["webhook_messages"] == 1
    rows = await messages(app)
    assert [(r.type, r.customer_id) for r in rows] == [
        ("customer.tier_changed", "kept"),
        ("customer.deleted", "crm-1"),
    ]
    assert tiers_only not in rows[1].endpoints
    assert rows[1].data == {"customer_id": "crm-1", "deleted_at": "2026-11-20T12:00:00Z"}
    async with app.state.engine.connect() as conn:
        excerpts = (await conn.execute(text("SELECT response_excerpt FROM webhook_attempts"))).all()
    assert [tuple(e) for e in excerpts] == [("crm-1 failed",)] * 2  # the kept customer's only

    again = await client.delete("/v1/customers/crm-1", headers=bearer(admin_key))
    assert again.json()["erased"]["webhook_messages"] == 1  # the deleted notice itself
    assert [r.type for r in await messages(app)] == ["customer.tier_changed"]


async def test_the_notify_goes_out_on_commit_only_and_carries_the_workspace_id(
    app: Any, database_url: str, admin_key: str, clock: FrozenClock
) -> None:
    endpoint = await subscribe(app, ["customer.deleted"])
    workspace = await workspace_id(app)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        async with app.state.engine.connect() as conn:
            await conn.begin()
            await outbox.enqueue(conn, workspace, "customer.deleted", "x", {}, T0, [endpoint])
            await asyncio.sleep(0.2)
            assert heard.empty()  # not before the commit
            await conn.rollback()
        await asyncio.sleep(0.2)
        assert heard.empty()  # nor after a rollback
        async with app.state.engine.begin() as conn:
            await outbox.enqueue(conn, workspace, "customer.deleted", "x", {}, T0, [endpoint])
        assert await asyncio.wait_for(heard.get(), timeout=10) == str(workspace)
    finally:
        await listener.close()


async def test_a_backfill_asked_to_notify_sends_each_customers_net_change(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await subscribe(app)
    await put_scheme(client, admin_key, VALUE)
    await run_until_idle(app.state.engine, clock)
    events = [
        {
            "event_id": f"h{n}",
            "customer_id": "c0",
            "type": "order",
            "occurred_at": (T0 - timedelta(days=n)).isoformat(),
            "amount": "2000.00",
        }
        for n in range(3)
    ]
    response = await client.post(
        "/v1/events/batch",
        json={"events": events, "mode": "backfill", "notify": True},
        headers=bearer(admin_key),
    )
    assert response.status_code == 200, response.text
    # Three orders, one net change: from nothing to vip (6,000 in 365 days).
    assert tier_moves(await messages(app)) == [("c0", "value", None, "vip", "import")]
