"""The sender's HTTP clients: one TLS context for all, and a bounded cache by host that
closes what it evicts once no delivery is using it. Every receiver is on loopback."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

import httpx

from app.clock import FrozenClock
from app.webhooks.sender import ClientCache, tls_context
from tests.webhooks.conftest import WorkerFactory
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import add_endpoint, enqueue


async def test_the_least_recently_used_client_is_evicted_and_closed() -> None:
    cache = ClientCache(2, httpx.AsyncClient)
    async with cache.lease(("http", "a")) as a:
        pass
    async with cache.lease(("http", "b")):
        pass
    async with cache.lease(("http", "a")) as again:
        assert again is a  # a is now the most recently used
    async with cache.lease(("http", "c")):
        pass
    assert len(cache) == 2
    assert not a.is_closed
    async with cache.lease(("http", "b")) as b:
        pass
    assert len(cache) == 2
    assert a.is_closed and not b.is_closed
    await cache.aclose()
    assert b.is_closed


async def test_a_client_in_use_is_closed_only_when_its_delivery_ends() -> None:
    cache = ClientCache(1, httpx.AsyncClient)
    async with cache.lease(("https", "busy")) as busy:
        async with cache.lease(("https", "other")):
            assert len(cache) == 1
            assert not busy.is_closed
        assert not busy.is_closed
    assert busy.is_closed
    await cache.aclose()


async def test_clients_share_one_tls_context() -> None:
    assert tls_context() is tls_context()


async def test_delivering_to_more_hosts_than_the_cache_holds_keeps_it_bounded(
    app: Any, workspace_id: UUID, clock: FrozenClock, make_worker: WorkerFactory
) -> None:
    hosts = [f"127.0.0.{n}" for n in range(2, 10)]
    async with contextlib.AsyncExitStack() as stack:
        receivers = [await stack.enter_async_context(Receiver(host=host)) for host in hosts]
        endpoints = [await add_endpoint(app, workspace_id, r.url()) for r in receivers]
        await enqueue(app, workspace_id, clock, *endpoints)
        worker = make_worker(webhook_client_cache_size=3)

        while await worker.deliver_due():
            pass

        assert [len(r.requests) for r in receivers] == [1] * len(hosts)
        assert len(worker.sender.clients) == 3
