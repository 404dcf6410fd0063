"""The SSRF guard: IPv4 hidden in IPv6 forms, IPv6 outside global unicast, a DNS lookup that
hangs, and refusals that name the kind of address without echoing any.

Nothing is sent anywhere: the app runs without background workers, so registration only
checks URLs, and DNS is stood in for by a function."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from uuid import UUID

import httpx
import pytest

from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from app.webhooks import guard
from tests.conftest import bearer
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.test_delivery import add_endpoint, attempts, enqueue
from tests.webhooks.test_endpoints import ENDPOINTS, allow_loopback

METADATA = "169.254.169.254"
EMBEDDED = [
    # (case, URL, kind of the IPv4 inside)
    ("NAT64", "http://[64:ff9b::a9fe:a9fe]/", "link-local"),
    ("NAT64, local-use prefix", "http://[64:ff9b:1::a00:1]/", "private"),
    ("IPv4-compatible, dotted", "http://[::127.0.0.1]/", "loopback"),
    ("IPv4-compatible", "http://[::a9fe:a9fe]/", "link-local"),
    ("IPv4-mapped", "http://[::ffff:169.254.169.254]/", "link-local"),
    ("SIIT", "http://[::ffff:0:a9fe:a9fe]/", "link-local"),
    ("6to4", "http://[2002:a9fe:a9fe::1]/", "link-local"),
    # Teredo: server 8.8.8.8 (bits 32-64), client 10.0.0.1 stored inverted (last 32 bits).
    ("Teredo client", "http://[2001:0:808:808::f5ff:fffe]/", "private"),
    ("Teredo server", "http://[2001:0:a9fe:a9fe::f7f7:f7f7]/", "link-local"),
]
NOT_GLOBAL_UNICAST = [
    ("unique local", "http://[fd00::1]/", "a private address"),
    ("outside 2000::/3", "http://[4000::1]/", "a private address"),
    ("documentation", "http://[2001:db8::1]/", "a private address"),
    ("IPv6 link-local", "http://[fe80::1]/", "a link-local address"),
    ("IPv6 multicast", "http://[ff02::1]/", "a multicast address"),
    ("IPv6 unspecified", "http://[::]/", "an unspecified address"),
]


async def _create(client: httpx.AsyncClient, key: str, url: str) -> httpx.Response:
    body = {"url": url, "event_types": ["customer.tier_changed"]}
    return await client.post(ENDPOINTS, json=body, headers=bearer(key))


def _url_problem(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [message] = [e["message"] for e in response.json()["errors"] if e["field"] == "url"]
    assert isinstance(message, str)
    return message


def _stand_in_dns(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    """Every lookup answers ``answers``; returns the host names asked for."""
    asked: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        asked.append(host)
        return list(answers)

    monkeypatch.setattr(guard, "lookup_host", lookup)
    return asked


@pytest.mark.parametrize(
    ("url", "kind"), [case[1:] for case in EMBEDDED], ids=[case[0] for case in EMBEDDED]
)
async def test_ipv4_embedded_in_ipv6_is_judged_as_that_ipv4(
    client: httpx.AsyncClient, admin_key: str, url: str, kind: str
) -> None:
    message = _url_problem(await _create(client, admin_key, url))
    assert f"an IPv4 address embedded in IPv6 that is {kind}" in message
    assert "TIERLINE_WEBHOOK_ALLOWED_NETWORKS" in message
    for address in (METADATA, "10.0.0.1", "127.0.0.1", "a9fe", "8.8.8.8"):
        assert address not in message


@pytest.mark.parametrize(
    ("url", "kind"),
    [case[1:] for case in NOT_GLOBAL_UNICAST],
    ids=[case[0] for case in NOT_GLOBAL_UNICAST],
)
async def test_ipv6_is_admitted_only_in_global_unicast(
    client: httpx.AsyncClient, admin_key: str, url: str, kind: str
) -> None:
    assert f"resolves to {kind}," in _url_problem(await _create(client, admin_key, url))


async def test_public_addresses_are_admitted_in_every_form(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    for url in (
        "http://[2606:4700::1111]/",
        "https://[64:ff9b::808:808]/",  # NAT64 to 8.8.8.8
        "https://[2002:808:808::1]/",  # 6to4 through 8.8.8.8
    ):
        assert (await _create(client, admin_key, url)).status_code == 201, url


async def test_the_allow_list_admits_an_embedded_ipv4_it_lists_and_not_the_ipv6_form(
    app: Any, client: httpx.AsyncClient, admin_key: str
) -> None:
    allow_loopback(app)
    assert (await _create(client, admin_key, "http://[::ffff:127.0.0.1]:9/")).status_code == 201
    assert (await _create(client, admin_key, "http://[64:ff9b::7f00:1]:9/")).status_code == 201
    app.state.settings = app.state.settings.model_copy(
        update={"webhook_allowed_networks": [ipaddress.ip_network("64:ff9b::/96")]}
    )
    message = _url_problem(await _create(client, admin_key, "http://[64:ff9b::7f00:1]:9/"))
    assert "embedded in IPv6 that is loopback" in message


async def test_a_name_resolving_inside_is_refused_without_echoing_the_answers(
    client: httpx.AsyncClient, admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _stand_in_dns(monkeypatch, "203.0.113.9", "10.1.2.3", "fe80::1%eth0")
    message = _url_problem(await _create(client, admin_key, "https://hooks.example.com/in"))
    assert asked == ["hooks.example.com"]
    assert "resolves to a private address" in message
    for answer in ("203.0.113.9", "10.1.2.3", "fe80"):
        assert answer not in message

    _stand_in_dns(monkeypatch, "64:ff9b::a9fe:a9fe")
    message = _url_problem(await _create(client, admin_key, "https://hooks.example.com/in"))
    assert "an IPv4 address embedded in IPv6 that is link-local" in message
    assert "a9fe" not in message and METADATA not in message


async def test_the_app_looks_hosts_up_with_the_resolver_it_was_given(
    app: Any,
    client: httpx.AsyncClient,
    admin_key: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``create_app(lookup_host=...)`` replaces the system resolver for the URLs the API is
    given: a test can refuse every name, and nothing is looked up outside the process."""
    refused: list[str] = []

    async def refuse(host: str, port: int) -> list[str]:
        refused.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "refused by the test")

    async def system(host: str, port: int) -> list[str]:
        raise AssertionError(f"the system resolver was asked for {host}")

    assert create_app(settings, lookup_host=refuse).state.lookup_host is refuse
    monkeypatch.setattr(guard, "lookup_host", system)
    app.state.lookup_host = refuse
    message = _url_problem(await _create(client, admin_key, "https://hooks.example.com/in"))
    assert "the URL's host does not resolve: refused by the test" in message
    endpoint = await _create(client, admin_key, "https://[2606:4700::1111]/")
    assert endpoint.status_code == 201, endpoint.text
    patched = await client.patch(
        f"{ENDPOINTS}/{endpoint.json()['id']}",
        json={"url": "https://other.example.com/"},
        headers=bearer(admin_key),
    )
    assert "refused by the test" in _url_problem(patched)
    assert refused == ["hooks.example.com", "other.example.com"]


async def test_a_hanging_dns_lookup_times_out_holding_no_connection(
    app: Any, client: httpx.AsyncClient, admin_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhook_connect_timeout": 0.2})
    pool = app.state.engine.pool
    held_during_lookup: list[int] = []

    async def hanging(host: str, port: int) -> list[str]:
        held_during_lookup.append(pool.checkedout())
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    monkeypatch.setattr(guard, "lookup_host", hanging)
    held_before = pool.checkedout()
    created = await _create(client, admin_key, "https://slow.example.com/")
    assert "the URL's host did not resolve within 0.2 s" in _url_problem(created)

    allow_loopback(app)
    endpoint = await _create(client, admin_key, "http://127.0.0.1:9/")
    patched = await client.patch(
        f"{ENDPOINTS}/{endpoint.json()['id']}",
        json={"url": "https://slow.example.com/"},
        headers=bearer(admin_key),
    )
    assert "did not resolve within 0.2 s" in _url_problem(patched)
    # Both lookups ran before the request's transaction took a pooled connection.
    assert held_during_lookup == [held_before, held_before]


async def test_the_guard_refuses_an_embedded_answer_at_delivery_time(
    app: Any,
    workspace_id: UUID,
    clock: FrozenClock,
    make_worker: WorkerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint_id = await add_endpoint(app, workspace_id, "http://rebound.example.com/hook")
    message_id = await enqueue(app, workspace_id, clock, endpoint_id)
    asked = _stand_in_dns(monkeypatch, "::ffff:0:a9fe:a9fe")

    assert await make_worker().deliver_due() == 1

    assert asked == ["rebound.example.com"]
    [attempt] = await attempts(app, message_id)
    assert attempt["status_code"] is None
    assert "an IPv4 address embedded in IPv6 that is link-local" in attempt["error"]
    assert METADATA not in attempt["error"]
