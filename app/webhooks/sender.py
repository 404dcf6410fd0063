"""The HTTP side of a delivery: posting a claimed message, signed (Standard Webhooks), to the
address the SSRF guard checked, within the timeouts, and reading what came back (status,
a bounded excerpt, ``Retry-After``) into an ``Outcome``.

The outcome's time and the previous secret's expiry read the injected clock; the
``webhook-timestamp`` header reads the wall clock, as receivers check it against theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from app.clock import Clock
from app.settings import Settings
from app.vault import UnreadableSecret, Vault
from app.webhooks import messages
from app.webhooks.attempt import Claim, Outcome
from app.webhooks.guard import Target, UnsafeURL, resolve

logger = logging.getLogger(__name__)

EXCERPT_BYTES = 1024


ClientKey = tuple[str, str]
"""A client's scheme and host name."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one TLS context of the process's webhook clients (httpx's default trust): building
    one loads the CA bundle, about 50 ms of CPU and memory each client would otherwise hold."""
    return httpx.create_ssl_context()


@dataclass(slots=True)
class _Pooled:
    client: httpx.AsyncClient
    deliveries: int = 0
    """Deliveries using the client now; an evicted client is closed when this reaches 0."""
    evicted: bool = False


class ClientCache:
    """HTTP clients by host, at most ``capacity`` of them: the least recently used one is
    evicted when another host needs a client, and closed once no delivery is using it, so
    memory stays flat however many hosts the endpoints name."""

    def __init__(self, capacity: int, make: Callable[[], httpx.AsyncClient]) -> None:
        self.capacity = capacity
        self._make = make
        self._pooled: OrderedDict[ClientKey, _Pooled] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pooled)

    @contextlib.asynccontextmanager
    async def lease(self, key: ClientKey) -> AsyncIterator[httpx.AsyncClient]:
        """The host's client, kept open until the block ends."""
        pooled = self._pooled.get(key)
        if pooled is None:
            pooled = self._pooled[key] = _Pooled(self._make())
        self._pooled.move_to_end(key)
        # Counted before any await, so an eviction made meanwhile cannot close it.
        pooled.deliveries += 1
        try:
            while len(self._pooled) > self.capacity:
                _, oldest = self._pooled.popitem(last=False)
                oldest.evicted = True
                if not oldest.deliveries:
                    await oldest.client.aclose()
            yield pooled.client
        finally:
            pooled.deliveries -= 1
            if pooled.evicted and not pooled.deliveries:
                await pooled.client.aclose()

    async def aclose(self) -> None:
        pooled, self._pooled = list(self._pooled.values()), OrderedDict()
        for each in pooled:
            await each.client.aclose()


class Sender:
    """Posts deliveries over one HTTP client per host name, from a bounded cache;
    ``aclose`` closes them."""

    def __init__(self, clock: Clock, settings: Settings) -> None:
        self.clock = clock
        self.settings = settings
        self.vault = Vault.from_setting(settings.secret_key)
        self.clients = ClientCache(settings.webhook_client_cache_size, self._new_client)

    def _new_client(self) -> httpx.AsyncClient:
        """A client for one host name. Requests go to the checked IP address, which is what
        httpx pools connections by: one client per host keeps a kept-alive (TLS) connection,
        opened with that host's name, from serving another host on the same address. Idle
        connections close after httpx's keep-alive expiry (5 s)."""
        settings = self.settings
        return httpx.AsyncClient(
            verify=tls_context(),
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=settings.webhook_connect_timeout,
                read=settings.webhook_read_timeout,
                write=settings.webhook_read_timeout,
                pool=settings.webhook_connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.webhook_worker_concurrency,
                max_keepalive_connections=settings.webhook_endpoint_concurrency,
            ),
            # No proxy or .netrc credentials from the environment for subscribers' URLs.
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self.clients.aclose()

    async def send(self, claim: Claim) -> Outcome:
        """Posts one claimed delivery and returns what it came to: what the network or the
        receiver did is an outcome, not an exception."""
        attempted_at = self.clock.now()
        settings = self.settings
        try:
            target = await resolve(
                claim.url,
                settings.webhook_allowed_networks,
                within=settings.webhook_connect_timeout,
            )
        except UnsafeURL as error:
            return Outcome(attempted_at, error=str(error))
        body = messages.encode(
            messages.payload(
                claim.type,
                claim.created_at,
                claim.data,
                claim.seq,
                customer=claim.customer_id is not None,
            )
        )
        webhook_id = str(claim.message_id)
        sent_at = datetime.now(UTC).replace(microsecond=0)
        try:
            signatures = self._signatures(claim, webhook_id, sent_at, body)
        except UnreadableSecret as error:
            # A failed attempt the API shows, never a message signed with a wrong secret.
            logger.error("webhook signing secret unreadable", extra=claim.ids())
            return Outcome(attempted_at, error=str(error))
        url, host, extensions = pinned(claim.url, target)
        headers = {
            "Host": host,
            "Content-Type": "application/json",
            # Ask for no compression: the excerpt is read raw and kept small.
            "Accept-Encoding": "identity",
            "User-Agent": "Tierline-Webhooks",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signatures,
        }
        async with self.clients.lease((target.scheme, target.host)) as http:
            request = http.build_request(
                "POST", url, content=body.encode(), headers=headers, extensions=extensions
            )
            return await self._post(http, request, attempted_at)

    async def _post(
        self, http: httpx.AsyncClient, request: httpx.Request, attempted_at: datetime
    ) -> Outcome:
        connect, read = self.settings.webhook_connect_timeout, self.settings.webhook_read_timeout
        started = time.perf_counter()
        try:
            # httpx's timeouts bound each network step; this bounds the whole wait for the
            # answer, so a receiver trickling its headers cannot outlast the lease.
            response = await asyncio.wait_for(
                http.send(request, stream=True), timeout=connect + read
            )
        except httpx.HTTPError as error:
            return Outcome(
                attempted_at, latency=time.perf_counter() - started, error=_describe(error)
            )
        except TimeoutError:
            return Outcome(
                attempted_at,
                latency=time.perf_counter() - started,
                error=f"no answer within {connect + read:g} s",
            )
        try:
            latency = time.perf_counter() - started
            excerpt = await _excerpt(response, within=read)
        finally:
            await response.aclose()
        return Outcome(
            attempted_at,
            status_code=response.status_code,
            latency=latency,
            excerpt=excerpt,
            retry_after=_retry_after(response.headers.get("retry-after")),
        )

    def _signatures(self, claim: Claim, webhook_id: str, sent_at: datetime, body: str) -> str:
        """The current secret's signature, and the previous secret's while it still signs,
        space-separated, so receivers that have not yet switched keep verifying."""
        stored = [claim.secret]
        expires = claim.previous_secret_expires_at
        if claim.previous_secret and expires is not None and expires > self.clock.now():
            stored.append(claim.previous_secret)
        return " ".join(
            Webhook(self.vault.decrypt(secret)).sign(webhook_id, sent_at, body) for secret in stored
        )


def pinned(url: str, target: Target) -> tuple[str, str, dict[str, Any]]:
    """The request URL with the host replaced by the checked address (so DNS is not asked
    again), the ``Host`` header, and the TLS server name for https."""
    original = httpx.URL(url)
    request_url = original.copy_with(host=str(target.address))
    extensions: dict[str, Any] = {}
    if target.scheme == "https":
        extensions["sni_hostname"] = original.raw_host.decode("ascii")
    return str(request_url), original.netloc.decode("ascii"), extensions


async def _excerpt(response: httpx.Response, within: float) -> str:
    """The first ``EXCERPT_BYTES`` of the body, as text; the rest is never read. A body that
    breaks off or trickles keeps what arrived in time: the status line is the answer."""
    received = bytearray()
    with contextlib.suppress(httpx.HTTPError, TimeoutError):
        async with asyncio.timeout(within):
            async for chunk in response.aiter_raw():
                received += chunk
                if len(received) >= EXCERPT_BYTES:
                    break
    return _text(bytes(received[:EXCERPT_BYTES]).decode("utf-8", errors="replace"))


def _describe(error: httpx.HTTPError) -> str:
    detail = str(error)
    name = type(error).__name__
    return _text(f"{name}: {detail}" if detail else name)


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters."""
    return value.replace("\x00", "\ufffd")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date (which
    the receiver wrote by its wall clock)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - datetime.now(UTC)).total_seconds())
