"""Tier analytics over HTTP, on a small fixed data set built by moving the clock and posting
events, each figure checked against the arithmetic written beside it.

The data set (November 2026, UTC; the ``value`` scheme: vip = spend_365d >= 5000,
regular = order_count >= 1, else potential; no grace):

    Nov 1 09:00  scheme saved
    Nov 1 10:00  alice order 100.00       -> regular       (entered)
    Nov 1 11:00  bob   visit              -> potential     (entered)
    Nov 1 12:00  carol order 6000.00      -> vip           (entered)
    Nov 1 13:00  gina  visit              -> potential     (entered)
    Nov 2 10:00  alice order 5000.00      regular -> vip   (spend 5100.00)
    Nov 2 11:00  hank  visit              -> potential     (entered)
    Nov 3 10:00  bob   order 50.00        potential -> regular
    Nov 3 11:00  dave  order 200.00       -> regular       (entered; erased below)
    Nov 4 10:00  alice order 4.02         (stays vip)
    Nov 4 11:00  alice order 6.03         (stays vip)
    Nov 4 12:00  carol refund 1500.00     vip -> regular   (spend 4500.00)
    Nov 5 10:00  dave  erased             left from regular; his history is erased with him
    Nov 5 11:00  frank order 300.00       -> regular       (entered)
    Nov 6 10:00  eve   visit              -> potential     (entered)
    Nov 6 23:00  gina  order 20.00        potential -> regular
    Nov 7 01:00  alice order 1000.00      (stays vip)
    Nov 7 02:00  ivy   order 80.00 that occurred Nov 6 20:00, sent late
                                          -> regular       (entered Nov 7, ordered Nov 6)
    clock left at Nov 7 12:00

Every customer is also classified in a second scheme, ``frequency`` (frequent = order_count
>= 3, else occasional; saved Nov 1 08:00), where alice alone moves on Nov 4 10:00: a query that
forgot the scheme would mix its tiers and changes in.
A second workspace, ``acme`` (USD), has the same scheme and a customer also called ``alice``
(order 999.00 on Nov 3 12:00 -> regular) and ``zed`` (visit Nov 3 13:00 -> potential, erased
Nov 5 12:00): a query that forgot the workspace would change the default workspace's figures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.analytics.service import average, share
from app.clock import FrozenClock
from app.jobs.service import run_until_idle
from tests.conftest import KeyFactory, bearer
from tests.tiers.test_tier_lifecycle import VALUE, put_scheme

PROBLEM = "application/problem+json"
FREQUENCY: dict[str, Any] = {
    "name": "Order frequency",
    "tiers": [
        {
            "key": "frequent",
            "name": "Frequent",
            "condition": {"field": "metrics.order_count", "op": "gte", "value": 3},
        }
    ],
    "default_tier": "occasional",
}
BASE = "/v1/analytics/schemes"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def send(
    client: httpx.AsyncClient,
    key: str,
    clock: FrozenClock,
    when: datetime,
    customer_id: str,
    kind: str,
    amount: str | None = None,
    occurred: datetime | None = None,
) -> list[tuple[str | None, str]]:
    """Posts one event at ``when`` (the clock moved there too) that occurred at ``occurred``
    (default ``when``); returns the value-scheme changes it caused as (from, to)."""
    clock.set(when)
    body: dict[str, Any] = {
        "event_id": f"{customer_id}-{kind}-{when:%d%H%M}",
        "customer_id": customer_id,
        "type": kind,
        "occurred_at": (occurred or when).isoformat(),
    }
    if amount is not None:
        body["amount"] = amount
    response = await client.post("/v1/events", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    return [
        (change["from_tier"], change["to_tier"])
        for change in response.json()["tier_changes"]
        if change["scheme"] == "value"
    ]


async def erase(
    client: httpx.AsyncClient, key: str, clock: FrozenClock, when: datetime, customer_id: str
) -> None:
    clock.set(when)
    response = await client.delete(f"/v1/customers/{customer_id}", headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.json()["erased"]["customers"] == 1


async def build(app: Any, client: httpx.AsyncClient, key: str, clock: FrozenClock) -> str:
    """The data set of the module docstring; returns the acme workspace's admin key. Each
    step checks the tier change it is meant to cause, so the hand computations below rest on
    a data set that is what it says."""
    clock.set(at(1, 8))
    await put_scheme(client, key, FREQUENCY, scheme_key="frequency")
    clock.set(at(1, 9))
    await put_scheme(client, key, VALUE)
    created = await client.post(
        "/v1/workspaces",
        json={"slug": "acme", "name": "Acme", "base_currency": "USD"},
        headers=bearer(key),
    )
    assert created.status_code == 201, created.text
    acme = str(created.json()["admin_key"]["key"])
    await put_scheme(client, acme, VALUE)
    await run_until_idle(app.state.engine, clock)

    # (when, workspace key, customer, event type or "erase", amount, value-scheme changes)
    steps: list[tuple[datetime, str, str, str, str | None, list[tuple[str | None, str]]]] = [
        (at(1, 10), key, "alice", "order", "100.00", [(None, "regular")]),
        (at(1, 11), key, "bob", "visit", None, [(None, "potential")]),
        (at(1, 12), key, "carol", "order", "6000.00", [(None, "vip")]),
        (at(1, 13), key, "gina", "visit", None, [(None, "potential")]),
        (at(2, 10), key, "alice", "order", "5000.00", [("regular", "vip")]),
        (at(2, 11), key, "hank", "visit", None, [(None, "potential")]),
        (at(3, 10), key, "bob", "order", "50.00", [("potential", "regular")]),
        (at(3, 11), key, "dave", "order", "200.00", [(None, "regular")]),
        (at(3, 12), acme, "alice", "order", "999.00", [(None, "regular")]),
        (at(3, 13), acme, "zed", "visit", None, [(None, "potential")]),
        (at(4, 10), key, "alice", "order", "4.02", []),
        (at(4, 11), key, "alice", "order", "6.03", []),
        (at(4, 12), key, "carol", "refund", "1500.00", [("vip", "regular")]),
        (at(5, 10), key, "dave", "erase", None, []),
        (at(5, 11), key, "frank", "order", "300.00", [(None, "regular")]),
        (at(5, 12), acme, "zed", "erase", None, []),
        (at(6, 10), key, "eve", "visit", None, [(None, "potential")]),
        (at(6, 23), key, "gina", "order", "20.00", [("potential", "regular")]),
        (at(7, 1), key, "alice", "order", "1000.00", []),
    ]
    for when, workspace, customer_id, kind, amount, expected in steps:
        if kind == "erase":
            await erase(client, workspace, clock, when, customer_id)
        else:
            changes = await send(client, workspace, clock, when, customer_id, kind, amount)
            assert changes == expected, (when, customer_id)
    late = await send(client, key, clock, at(7, 2), "ivy", "order", "80.00", occurred=at(6, 20))
    assert late == [(None, "regular")]

    frequency = await client.get(
        "/v1/customers/alice/tiers/history?scheme=frequency", headers=bearer(key)
    )
    assert [(i["from_tier"], i["to_tier"], i["changed_at"]) for i in frequency.json()["items"]] == [
        ("occasional", "frequent", iso(at(4, 10))),
        (None, "occasional", iso(at(1, 10))),
    ]
    clock.set(at(7, 12))
    return acme


async def get(client: httpx.AsyncClient, key: str, path: str, **params: str) -> Any:
    response = await client.get(f"{BASE}/{path}", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


def tiers(body: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(row["tier"], row["count"], row["share"]) for row in body["tiers"]]


def performance_rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            row["tier"],
            row["customers"],
            row["revenue"],
            row["orders"],
            row["average_order_value"],
            row["retention"],
        )
        for row in body["tiers"]
    ]


# --- rounding, the pure part -------------------------------------------------------------


def test_shares_round_half_even_to_four_places() -> None:
    assert share(1, 32) == "0.0312"  # 0.03125: the 2 is even, so down (half-up gives 0.0313)
    assert share(3, 32) == "0.0938"  # 0.09375: the 7 is odd, so up
    assert share(1, 3) == "0.3333"
    assert share(2, 3) == "0.6667"
    assert share(5, 5) == "1.0000"
    assert share(0, 0) == "0.0000"


def test_average_order_value_rounds_half_even_to_cents() -> None:
    assert average(Decimal("10.05"), 2, "EUR") == "5.02"  # 5.025 -> 5.02 (2 is even)
    assert average(Decimal("10.15"), 2, "EUR") == "5.08"  # 5.075 -> 5.08 (7 is odd)
    assert average(Decimal("100"), 3, "EUR") == "33.33"
    assert average(Decimal("0"), 0, "EUR") is None


def test_average_order_value_keeps_its_cents_in_a_currency_without_minor_units() -> None:
    # An average is not an amount: 1001 / 2 yen is 500.5, shown without padding to cents.
    assert average(Decimal("1001"), 2, "JPY") == "500.5"
    assert average(Decimal("100"), 3, "JPY") == "33.33"
    assert average(Decimal("3000"), 2, "JPY") == "1500"
    # Where the minor units are more than cents (KWD's 3), the average is rounded to them.
    assert average(Decimal("10.001"), 2, "KWD") == "5.000"  # 5.0005 -> 5.000 (0 is even)
    assert average(Decimal("10.003"), 2, "KWD") == "5.002"


# --- distribution ------------------------------------------------------------------------


async def test_distribution_now_counts_the_current_tiers(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    acme = await build(app, client, admin_key, clock)
    body = await get(client, admin_key, "value/distribution")
    # Now: alice vip; bob, carol, gina, frank, ivy regular; hank, eve potential (dave
    # erased). total 8: vip 1/8 = 0.1250, regular 5/8 = 0.6250, potential 2/8 = 0.2500.
    assert (body["scheme"], body["as_of"], body["total"]) == ("value", iso(at(7, 12)), 8)
    assert tiers(body) == [
        ("vip", 1, "0.1250"),
        ("regular", 5, "0.6250"),
        ("potential", 2, "0.2500"),
    ]
    # Before ivy's first tier (Nov 7 02:00): total 7: vip 1/7 = 0.142857.. -> 0.1429,
    # regular 4/7 = 0.571428.. -> 0.5714, potential 2/7 = 0.285714.. -> 0.2857.
    before_ivy = await get(client, admin_key, "value/distribution", as_of=iso(at(7, 1)))
    assert (before_ivy["as_of"], before_ivy["total"]) == (iso(at(7, 1)), 7)
    assert tiers(before_ivy) == [
        ("vip", 1, "0.1429"),
        ("regular", 4, "0.5714"),
        ("potential", 2, "0.2857"),
    ]
    # acme: alice regular; zed erased -> total 1.
    other = await get(client, acme, "value/distribution")
    assert tiers(other) == [
        ("vip", 0, "0.0000"),
        ("regular", 1, "1.0000"),
        ("potential", 0, "0.0000"),
    ]


async def test_distribution_as_of_reads_the_history_including_that_moment(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    body = await get(client, admin_key, "value/distribution", as_of="2026-11-02T11:00:00Z")
    # Latest change at or before Nov 2 11:00: alice vip (Nov 2 10:00), carol vip (Nov 1),
    # bob potential, gina potential, hank potential (exactly Nov 2 11:00: included).
    # total 5: vip 2/5 = 0.4000, regular 0, potential 3/5 = 0.6000.
    assert (body["as_of"], body["total"]) == (iso(at(2, 11)), 5)
    assert tiers(body) == [
        ("vip", 2, "0.4000"),
        ("regular", 0, "0.0000"),
        ("potential", 3, "0.6000"),
    ]
    # One second earlier, hank has no tier yet: potential 2 of 4.
    earlier = await get(client, admin_key, "value/distribution", as_of="2026-11-02T10:59:59Z")
    assert tiers(earlier) == [
        ("vip", 2, "0.5000"),
        ("regular", 0, "0.0000"),
        ("potential", 2, "0.5000"),
    ]
    # A moment given with an offset is the same instant: 12:00+01:00 is 11:00Z.
    offset = await get(client, admin_key, "value/distribution", as_of="2026-11-02T12:00:00+01:00")
    assert (offset["as_of"], offset["total"]) == (iso(at(2, 11)), 5)


async def test_distribution_before_anyone_existed_is_empty(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    body = await get(client, admin_key, "value/distribution", as_of="2026-11-01T00:00:00Z")
    assert body["total"] == 0
    assert tiers(body) == [
        ("vip", 0, "0.0000"),
        ("regular", 0, "0.0000"),
        ("potential", 0, "0.0000"),
    ]


async def test_a_tier_a_newer_version_dropped_is_listed_after_the_current_ones(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    clock.set(at(8, 9))
    version_2 = {
        **VALUE,
        "tiers": [
            VALUE["tiers"][0],
            {
                "key": "buyer",
                "name": "Buyer",
                "condition": {"field": "metrics.order_count", "op": "gte", "value": 1},
            },
        ],
    }
    await put_scheme(client, admin_key, version_2)
    # regular -> buyer for bob, carol, gina, frank, ivy
    await run_until_idle(app.state.engine, clock)
    clock.set(at(8, 12))

    now = await get(client, admin_key, "value/distribution")
    # vip 1/8, buyer 5/8, potential 2/8; nobody holds regular any more, so it is not listed.
    assert tiers(now) == [("vip", 1, "0.1250"), ("buyer", 5, "0.6250"), ("potential", 2, "0.2500")]

    before = await get(client, admin_key, "value/distribution", as_of="2026-11-07T12:00:00Z")
    # Before version 2: the current version's tiers first (buyer with 0), then regular.
    assert tiers(before) == [
        ("vip", 1, "0.1250"),
        ("buyer", 0, "0.0000"),
        ("potential", 2, "0.2500"),
        ("regular", 5, "0.6250"),
    ]

    moves = await get(
        client,
        admin_key,
        "value/transitions",
        **{"from": "2026-11-08T00:00:00Z", "to": iso(at(9, 0))},
    )
    assert moves["transitions"] == [{"from": "regular", "to": "buyer", "count": 5}]

    held = await get(
        client, admin_key, "value/performance", **{"from": "2026-11-08", "to": "2026-11-08"}
    )
    # Held at Nov 8 00:00: alice vip, 5 regular, hank and eve potential; nobody ordered on
    # Nov 8 and nobody is new, so every retention is 0/n and the newcomers' row is empty.
    assert performance_rows(held) == [
        ("vip", 1, "0.00", 0, None, "0.0000"),
        ("buyer", 0, "0.00", 0, None, None),
        ("potential", 2, "0.00", 0, None, "0.0000"),
        ("regular", 5, "0.00", 0, None, "0.0000"),
        (None, 0, "0.00", 0, None, None),
    ]


async def test_an_archived_scheme_answers_from_its_history(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    clock.set(at(8, 9))
    archived = await client.delete("/v1/schemes/value", headers=bearer(admin_key))
    assert archived.status_code == 204
    clock.set(at(8, 12))

    now = await get(client, admin_key, "value/distribution")
    assert now["total"] == 0
    assert tiers(now) == [
        ("vip", 0, "0.0000"),
        ("regular", 0, "0.0000"),
        ("potential", 0, "0.0000"),
    ]
    # From the moment of archiving nobody holds a tier, as the current tiers say.
    at_archiving = await get(client, admin_key, "value/distribution", as_of=iso(at(8, 9)))
    assert at_archiving["total"] == 0
    # Before it, the history answers: vip 1, regular 5, potential 2 of 8.
    before = await get(client, admin_key, "value/distribution", as_of=iso(at(7, 12)))
    assert tiers(before) == [
        ("vip", 1, "0.1250"),
        ("regular", 5, "0.6250"),
        ("potential", 2, "0.2500"),
    ]
    moves = await get(
        client, admin_key, "value/transitions", **{"from": iso(at(4, 0)), "to": iso(at(5, 0))}
    )
    assert moves["transitions"] == [{"from": "vip", "to": "regular", "count": 1}]

    # lee arrives after the archiving: a first tier in frequency only, none in value.
    assert await send(client, admin_key, clock, at(9, 10), "lee", "visit") == []
    after = await get(
        client, admin_key, "value/performance", **{"from": "2026-11-09", "to": "2026-11-09"}
    )
    # Nov 9: nobody holds a value tier (archived Nov 8), nobody ordered, and lee's first
    # tier is frequency's, not value's: every row is empty.
    assert performance_rows(after) == [
        ("vip", 0, "0.00", 0, None, None),
        ("regular", 0, "0.00", 0, None, None),
        ("potential", 0, "0.00", 0, None, None),
        (None, 0, "0.00", 0, None, None),
    ]


# --- transitions -------------------------------------------------------------------------


async def test_transitions_count_moves_entries_and_departures_in_a_half_open_period(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    body = await get(
        client,
        admin_key,
        "value/transitions",
        **{"from": "2026-11-02T10:00:00Z", "to": "2026-11-06T10:00:00Z"},
    )
    # In [Nov 2 10:00, Nov 6 10:00): alice regular->vip (Nov 2 10:00, the inclusive start),
    # hank entered potential, bob potential->regular, carol vip->regular, frank entered
    # regular. Out: eve (Nov 6 10:00, the exclusive end), dave (his history was erased).
    # Left: dave from regular (Nov 5 10:00); acme's zed is another workspace's.
    assert body == {
        "scheme": "value",
        "from": "2026-11-02T10:00:00Z",
        "to": "2026-11-06T10:00:00Z",
        "transitions": [
            {"from": "potential", "to": "regular", "count": 1},
            {"from": "regular", "to": "vip", "count": 1},
            {"from": "vip", "to": "regular", "count": 1},
        ],
        "entered": [{"tier": "potential", "count": 1}, {"tier": "regular", "count": 1}],
        "left": [{"tier": "regular", "count": 1}],
    }


async def test_transitions_default_to_the_30_days_before_now(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    body = await get(client, admin_key, "value/transitions")
    # [Oct 8 12:00, Nov 7 12:00) holds the whole history: potential->regular twice (bob,
    # gina), regular->vip (alice), vip->regular (carol); entered potential 4 (bob, gina,
    # hank, eve), regular 3 (alice, frank, ivy), vip 1 (carol); left regular 1 (dave).
    assert (body["from"], body["to"]) == ("2026-10-08T12:00:00Z", "2026-11-07T12:00:00Z")
    assert body["transitions"] == [
        {"from": "potential", "to": "regular", "count": 2},
        {"from": "regular", "to": "vip", "count": 1},
        {"from": "vip", "to": "regular", "count": 1},
    ]
    assert body["entered"] == [
        {"tier": "potential", "count": 4},
        {"tier": "regular", "count": 3},
        {"tier": "vip", "count": 1},
    ]
    assert body["left"] == [{"tier": "regular", "count": 1}]

    # Only `to`: the 30 days before it. [Oct 6 00:00, Nov 5 00:00) ends before dave left.
    until = await get(client, admin_key, "value/transitions", to="2026-11-05T00:00:00Z")
    assert (until["from"], until["left"]) == ("2026-10-06T00:00:00Z", [])


# --- performance -------------------------------------------------------------------------


async def test_performance_per_tier_held_at_the_start(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    acme = await build(app, client, admin_key, clock)
    body = await get(
        client, admin_key, "value/performance", **{"from": "2026-11-03", "to": "2026-11-06"}
    )
    assert (body["scheme"], body["from"], body["to"], body["currency"]) == (
        "value",
        "2026-11-03",
        "2026-11-06",
        "EUR",
    )
    # Held at Nov 3 00:00: alice, carol vip; nobody regular; bob, gina, hank potential.
    # Days Nov 3..Nov 6 (alice's Nov 7 order and everyone's Nov 1-2 orders are outside):
    # vip: alice orders 4.02 + 6.03 = 10.05 (2 orders), carol refund 1500.00, no order.
    #   revenue 10.05 - 1500.00 = -1489.95; AOV 10.05 / 2 = 5.025 -> 5.02 (half-even);
    #   retention 1 of 2 = 0.5000.
    # potential: bob 50.00 (Nov 3), gina 20.00 (Nov 6 23:00), hank nothing.
    #   revenue 70.00; 2 orders; AOV 35.00; retention 2 of 3 = 0.6667.
    # newcomers (no tier at the start): frank (first tier Nov 5, order 300.00), eve (first
    #   tier Nov 6, no order) and ivy (first tier only on Nov 7, but her late order 80.00
    #   occurred on Nov 6); dave is erased. revenue 300.00 + 80.00 = 380.00, 2 orders,
    #   AOV 190.00, retention 2 of 3 = 0.6667. acme's alice (999.00) is another workspace's.
    assert performance_rows(body) == [
        ("vip", 2, "-1489.95", 2, "5.02", "0.5000"),
        ("regular", 0, "0.00", 0, None, None),
        ("potential", 3, "70.00", 2, "35.00", "0.6667"),
        (None, 3, "380.00", 2, "190.00", "0.6667"),
    ]

    one_day = await get(
        client, admin_key, "value/performance", **{"from": "2026-11-04", "to": "2026-11-04"}
    )
    # Held at Nov 4 00:00: alice, carol vip; bob regular; gina, hank potential.
    # Nov 4 only: vip as above; bob and the potentials did not order (retention 0 of n);
    # no newcomer: nobody got a first tier on Nov 4 (dave's history is erased).
    assert performance_rows(one_day) == [
        ("vip", 2, "-1489.95", 2, "5.02", "0.5000"),
        ("regular", 1, "0.00", 0, None, "0.0000"),
        ("potential", 2, "0.00", 0, None, "0.0000"),
        (None, 0, "0.00", 0, None, None),
    ]

    other = await get(
        client, acme, "value/performance", **{"from": "2026-11-03", "to": "2026-11-06"}
    )
    # acme: nobody held a tier at Nov 3 00:00; alice is new and ordered 999.00; zed erased.
    assert other["currency"] == "USD"
    assert performance_rows(other)[-1] == (None, 1, "999.00", 1, "999.00", "1.0000")


async def test_performance_defaults_to_the_30_days_ending_today(
    app: Any, client: httpx.AsyncClient, admin_key: str, clock: FrozenClock
) -> None:
    await build(app, client, admin_key, clock)
    body = await get(client, admin_key, "value/performance")
    # Today is Nov 7: Oct 9..Nov 7. Nobody held a tier on Oct 9, so all 8 customers are
    # newcomers. Orders: alice 100.00 + 5000.00 + 4.02 + 6.03 + 1000.00 (5), bob 50.00,
    # carol 6000.00, frank 300.00, gina 20.00, ivy 80.00: 10 orders, 12560.05; minus carol's
    # refund 1500.00 = 11060.05. AOV 12560.05 / 10 = 1256.005 -> 1256.00 (half-even: the 0
    # is even; half-up would give 1256.01). Retention: alice, bob, carol, frank, gina, ivy
    # ordered, hank and eve did not: 6 of 8 = 0.7500.
    assert (body["from"], body["to"]) == ("2026-10-09", "2026-11-07")
    assert performance_rows(body) == [
        ("vip", 0, "0.00", 0, None, None),
        ("regular", 0, "0.00", 0, None, None),
        ("potential", 0, "0.00", 0, None, None),
        (None, 8, "11060.05", 10, "1256.00", "0.7500"),
    ]


# --- bad input, scopes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "slug", "field"),
    [
        ("nope/distribution", {}, 404, "not-found", None),
        ("nope/transitions", {}, 404, "not-found", None),
        ("nope/performance", {}, 404, "not-found", None),
        ("bad key/distribution", {}, 422, "validation-error", "key"),
        ("value/distribution", {"as_of": "yesterday"}, 422, "validation-error", "as_of"),
        # Without a timezone the moment would depend on the server's.
        ("value/distribution", {"as_of": "2026-11-01T00:00:00"}, 422, "validation-error", "as_of"),
        ("value/distribution", {"as_of": "1969-12-31T23:59:59Z"}, 422, "validation-error", "as_of"),
        ("value/transitions", {"from": "2026-11-32T00:00:00Z"}, 422, "validation-error", "from"),
        ("value/transitions", {"to": "0001-01-01T00:00:00Z"}, 422, "validation-error", "to"),
        (
            "value/transitions",
            {"from": "2026-11-05T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
            422,
            "validation-error",
            "from",
        ),
        # 2000-01-01 to 2010-01-01 is 3653 days (leap years 2000, 2004, 2008); +8 = 3661.
        (
            "value/transitions",
            {"from": "2000-01-01T00:00:00Z", "to": "2010-01-09T00:00:00Z"},
            422,
            "validation-error",
            "from",
        ),
        # Only `from`, after now: `to` defaults to now, so `from` is after `to`.
        ("value/transitions", {"from": "2026-12-01T00:00:00Z"}, 422, "validation-error", "from"),
        ("value/performance", {"from": "2026-13-01"}, 422, "validation-error", "from"),
        ("value/performance", {"to": "1969-12-31"}, 422, "validation-error", "to"),
        (
            "value/performance",
            {"from": "2026-11-05", "to": "2026-11-01"},
            422,
            "validation-error",
            "from",
        ),
        # 2000-01-01..2010-01-08, both inclusive: 3653 + 7 + 1 = 3661 days.
        (
            "value/performance",
            {"from": "2000-01-01", "to": "2010-01-08"},
            422,
            "validation-error",
            "from",
        ),
    ],
)
async def test_bad_input_is_a_problem_naming_the_parameter(
    client: httpx.AsyncClient,
    admin_key: str,
    path: str,
    params: dict[str, str],
    status: int,
    slug: str,
    field: str | None,
) -> None:
    await put_scheme(client, admin_key, VALUE)
    response = await client.get(f"{BASE}/{path}", params=params, headers=bearer(admin_key))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == f"urn:tierline:problem:{slug}"
    if field is not None:
        assert problem["errors"][0]["field"] == field
        assert problem["detail"].startswith(f"{field}: ")


async def test_the_longest_periods_are_accepted(client: httpx.AsyncClient, admin_key: str) -> None:
    await put_scheme(client, admin_key, VALUE)
    # 3653 + 7 = 3660 days, the limit itself.
    transitions = await get(
        client,
        admin_key,
        "value/transitions",
        **{"from": "2000-01-01T00:00:00Z", "to": "2010-01-08T00:00:00Z"},
    )
    assert transitions["transitions"] == []
    # 2000-01-01..2010-01-07, both inclusive: 3653 + 6 + 1 = 3660 days.
    performance = await get(
        client, admin_key, "value/performance", **{"from": "2000-01-01", "to": "2010-01-07"}
    )
    assert performance["from"] == "2000-01-01"
    # A one-day period and an empty half-open one are fine too.
    same_moment = "2026-11-01T00:00:00Z"
    empty = await get(
        client, admin_key, "value/transitions", **{"from": same_moment, "to": same_moment}
    )
    assert (empty["transitions"], empty["entered"], empty["left"]) == ([], [], [])


async def test_analytics_need_segments_read(
    client: httpx.AsyncClient, admin_key: str, make_key: KeyFactory
) -> None:
    await put_scheme(client, admin_key, VALUE)
    customers_only = await make_key("customers:read")
    segments_reader = await make_key("segments:read")
    for path in ("distribution", "transitions", "performance"):
        refused = await client.get(f"{BASE}/value/{path}", headers=bearer(customers_only))
        assert refused.status_code == 403, path
        assert refused.json()["type"] == "urn:tierline:problem:forbidden"
        allowed = await client.get(f"{BASE}/value/{path}", headers=bearer(segments_reader))
        assert allowed.status_code == 200, path
        missing = await client.get(f"{BASE}/value/{path}")
        assert missing.status_code == 401, path
