"""Against a real `tierline serve`: webhooks to 200 hosts leave the server's memory where it
was (issue 23). Every host is a loopback address with a receiver on it."""

from __future__ import annotations

import contextlib
import secrets

import httpx

from tests.conftest import bearer
from tests.webhooks.receiver import Receiver
from tests.worker_processes import resident_bytes, servers

HOSTS = [f"127.0.0.{n}" for n in range(2, 202)]


async def _ping_each(http: httpx.AsyncClient, base: str, key: str, *receivers: Receiver) -> None:
    """Subscribes each receiver, sends it a test message, waits for it, and unsubscribes."""
    endpoints = []
    for receiver in receivers:
        created = await http.post(
            f"{base}/v1/webhooks/endpoints",
            json={"url": receiver.url(), "event_types": ["ping"]},
            headers=bearer(key),
        )
        assert created.status_code == 201, created.text
        endpoints.append(f"{base}/v1/webhooks/endpoints/{created.json()['id']}")
        sent = await http.post(f"{endpoints[-1]}/test", headers=bearer(key))
        assert sent.status_code == 202, sent.text
    for receiver in receivers:
        await receiver.wait_for(1, at_most=120)
    for endpoint in endpoints:
        assert (await http.delete(endpoint, headers=bearer(key))).status_code == 204


async def test_webhooks_to_200_hosts_leave_the_server_rss_within_10_mb(
    database_url: str,
) -> None:
    key = "tl_" + secrets.token_urlsafe(32)
    settings = {
        "TIERLINE_BOOTSTRAP_KEY": key,
        "TIERLINE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    }
    async with (
        servers(database_url, settings, count=1) as [(base, process)],
        httpx.AsyncClient(timeout=30) as http,
        contextlib.AsyncExitStack() as stack,
    ):
        # One host first, so what any first delivery costs (imports, the TLS context) is
        # in the baseline: the bound is on what more hosts add.
        await _ping_each(http, base, key, await stack.enter_async_context(Receiver()))
        before = resident_bytes(process.pid)
        receivers = [await stack.enter_async_context(Receiver(host=h)) for h in HOSTS]

        await _ping_each(http, base, key, *receivers)

        after = resident_bytes(process.pid)
    assert after - before < 10 * 1024 * 1024, (before, after)
