"""The delivery worker: at-least-once, signed webhook deliveries, from any number of workers.

A pass claims due deliveries in one short transaction: it locks the endpoints that have some
(``FOR NO KEY UPDATE SKIP LOCKED``), counts each one's deliveries in flight, and leases up to
``webhook_endpoint_concurrency`` minus that many of its oldest, moving their
``next_attempt_at`` to the end of the lease. It then posts each one with no transaction open,
and records the outcome in another short transaction if the lease is still its own. A worker
that dies leaves its deliveries due again when their leases end; one slow endpoint never holds
more than its share of the workers.

Scheduling (due, leases, retries, disabling, secret expiry) reads the injected clock; the
``webhook-timestamp`` header reads the wall clock, as receivers check it against theirs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from standardwebhooks import Webhook

from app.clock import Clock
from app.db.url import asyncpg_dsn
from app.observability import Metrics
from app.settings import Settings
from app.webhooks import CHANNEL, messages
from app.webhooks.guard import Target, UnsafeURL, resolve

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
"""How long an idle worker waits for a NOTIFY before it looks for due deliveries anyway."""
RECONNECT_SECONDS = 5.0
QUEUE_DEPTH_EVERY_SECONDS = 5.0
EXCERPT_BYTES = 1024
FAILING_FOR = timedelta(days=5)
"""An endpoint whose every delivery failed for this long is disabled."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased delivery with everything needed to send it."""

    workspace_id: UUID
    message_id: UUID
    endpoint_id: UUID
    lease: datetime
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    type: str
    customer_id: str | None
    data: Mapping[str, Any]
    seq: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to."""

    attempted_at: datetime
    status_code: int | None = None
    latency: float = 0.0
    """Seconds; 0 when nothing was sent."""
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None
    """Seconds the receiver asked us to wait (``Retry-After``), if it did."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_CANDIDATES = text(
    """
    SELECT e.workspace_id, e.id, e.url, e.secret, e.previous_secret,
           e.previous_secret_expires_at
    FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT min(d.next_attempt_at) AS oldest
        FROM webhook_deliveries d
        WHERE d.endpoint_id = e.id AND d.workspace_id = e.workspace_id
          AND d.status = 'pending' AND d.next_attempt_at <= :now
    ) due
    WHERE e.enabled AND due.oldest IS NOT NULL
      -- A first look, re-counted under the lock: an endpoint already at its bound would
      -- only take a place another endpoint could use.
      AND (
          SELECT count(*) FROM webhook_deliveries d
          WHERE d.endpoint_id = e.id AND d.workspace_id = e.workspace_id
            AND d.status = 'pending' AND d.next_attempt_at > :now AND d.leased_until > :now
      ) < :bound
    ORDER BY due.oldest
    LIMIT :limit
    -- NO KEY: the outbox may still insert deliveries for the endpoint meanwhile.
    FOR NO KEY UPDATE OF e SKIP LOCKED
    """
)

# Runs after the endpoint's lock is held, so its snapshot counts every lease committed by
# the worker that held the lock before. A lease moves next_attempt_at to its end, so the
# partial index on (endpoint_id, next_attempt_at) finds the deliveries in flight.
_LEASE = text(
    """
    WITH room AS (
        SELECT GREATEST(0, LEAST(:room, :bound - count(*))) AS n
        FROM webhook_deliveries
        WHERE endpoint_id = :ep AND workspace_id = :ws
          AND status = 'pending' AND next_attempt_at > :now AND leased_until > :now
    ),
    picked AS (
        SELECT workspace_id, message_id, endpoint_id
        FROM webhook_deliveries
        WHERE endpoint_id = :ep AND workspace_id = :ws
          AND status = 'pending' AND next_attempt_at <= :now
        ORDER BY next_attempt_at
        LIMIT (SELECT n FROM room)
        FOR UPDATE SKIP LOCKED
    )
    UPDATE webhook_deliveries d
    SET leased_until = :lease, next_attempt_at = :lease
    FROM picked p
    JOIN webhook_messages m ON m.workspace_id = p.workspace_id AND m.id = p.message_id
    WHERE d.workspace_id = p.workspace_id AND d.message_id = p.message_id
      AND d.endpoint_id = p.endpoint_id
    RETURNING d.message_id, m.type, m.customer_id, m.data, m.seq, m.created_at
    """
)

# A lease or an outcome lost in a database crash is at worst one more delivery of the same
# message, which at-least-once delivery allows: the worker need not wait for each commit to
# reach the disk.
_NO_WAIT_FOR_FLUSH = text("SET LOCAL synchronous_commit TO off")

# The common outcome in one statement: the delivery, if the lease is still ours, becomes
# delivered, with its attempt row, and the endpoint is no longer failing. With :hand_off, the
# endpoint's next due delivery is leased in the same statement, taking over the place this
# one leaves: the endpoint's deliveries in flight stay as many, so its bound holds without
# its lock, and a busy endpoint costs one transaction per delivery instead of two.
_RECORD_DELIVERED = text(
    """
    WITH delivered AS (
        UPDATE webhook_deliveries
        SET status = 'delivered', attempts = attempts + 1, next_attempt_at = :now,
            leased_until = NULL, last_attempt_at = :at, last_status_code = :status_code,
            last_error = NULL, delivered_at = :now
        WHERE workspace_id = :ws AND message_id = :msg AND endpoint_id = :ep
          AND status = 'pending' AND leased_until = :lease
        RETURNING workspace_id, message_id, endpoint_id
    ),
    attempt AS (
        INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at,
                                      status_code, latency_ms, response_excerpt)
        SELECT workspace_id, message_id, endpoint_id, :at, :status_code, :latency_ms, :excerpt
        FROM delivered
    ),
    endpoint AS (
        UPDATE webhook_endpoints SET failing_since = NULL
        WHERE workspace_id = :ws AND id = :ep AND failing_since IS NOT NULL
          AND EXISTS (SELECT 1 FROM delivered)
    ),
    following AS (
        SELECT d.workspace_id, d.message_id, d.endpoint_id, e.url, e.secret,
               e.previous_secret, e.previous_secret_expires_at
        FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.workspace_id = d.workspace_id AND e.id = d.endpoint_id
        WHERE :hand_off AND EXISTS (SELECT 1 FROM delivered) AND e.enabled
          AND d.endpoint_id = :ep AND d.workspace_id = :ws
          AND d.status = 'pending' AND d.next_attempt_at <= :now
        ORDER BY d.next_attempt_at
        LIMIT 1
        FOR UPDATE OF d SKIP LOCKED
    ),
    leased AS (
        UPDATE webhook_deliveries d
        SET leased_until = :next_lease, next_attempt_at = :next_lease
        FROM following f
        JOIN webhook_messages m ON m.workspace_id = f.workspace_id AND m.id = f.message_id
        WHERE d.workspace_id = f.workspace_id AND d.message_id = f.message_id
          AND d.endpoint_id = f.endpoint_id
        RETURNING d.message_id, m.type, m.customer_id, m.data, m.seq, m.created_at, f.url,
                  f.secret, f.previous_secret, f.previous_secret_expires_at
    )
    SELECT (SELECT count(*) FROM delivered) AS delivered, l.*
    FROM (SELECT 1) AS one LEFT JOIN leased AS l ON true
    """
)

_OWN_DELIVERY = text(
    """
    SELECT attempts FROM webhook_deliveries
    WHERE workspace_id = :ws AND message_id = :msg AND endpoint_id = :ep
      AND status = 'pending' AND leased_until = :lease
    FOR UPDATE
    """
)

_INSERT_ATTEMPT = text(
    """
    INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at,
                                  status_code, latency_ms, response_excerpt, error)
    VALUES (:ws, :msg, :ep, :at, :status_code, :latency_ms, :excerpt, :error)
    """
)

_RESCHEDULE = text(
    """
    UPDATE webhook_deliveries
    SET status = :status, attempts = :attempts, next_attempt_at = :next_attempt_at,
        leased_until = NULL, last_attempt_at = :at, last_status_code = :status_code,
        last_error = :error
    WHERE workspace_id = :ws AND message_id = :msg AND endpoint_id = :ep
    """
)

_ENDPOINT_FAILED = text(
    """
    UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, :now)
    WHERE workspace_id = :ws AND id = :ep
    RETURNING enabled, failing_since
    """
)

_DISABLE_ENDPOINT = text(
    """
    UPDATE webhook_endpoints
    SET enabled = false, disabled_reason = :reason, disabled_at = :now, updated_at = :now
    WHERE workspace_id = :ws AND id = :ep
    """
)

_QUEUE_DEPTH = text(
    """
    SELECT count(*) FROM webhook_deliveries d
    JOIN webhook_endpoints e ON e.workspace_id = d.workspace_id AND e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND e.enabled
    """
)


def _default_jitter() -> float:
    return random.uniform(1.0, 1.1)


class DeliveryWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        settings: Settings,
        metrics: Metrics | None,
        *,
        jitter: Callable[[], float] = _default_jitter,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.metrics = metrics
        self.jitter = jitter
        self._depth_counted_at = -QUEUE_DEPTH_EVERY_SECONDS
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}

    def _client(self, target: Target) -> httpx.AsyncClient:
        """The HTTP client for one host name. Requests go to the checked IP address, which
        is what httpx pools connections by: one client per host keeps a kept-alive (TLS)
        connection, opened with that host's name, from serving another host on the same
        address. Idle connections close after httpx's keep-alive expiry (5 s)."""
        key = (target.scheme, target.host)
        client = self._clients.get(key)
        if client is None:
            settings = self.settings
            client = self._clients[key] = httpx.AsyncClient(
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
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def deliver_due(self) -> int:
        """One pass: claims what is due, sends it all concurrently and records the outcomes;
        returns how many deliveries were attempted."""
        claims = await self.claim(self.settings.webhook_worker_concurrency)
        await asyncio.gather(*(self.attempt(claim) for claim in claims))
        return len(claims)

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers until ``stop`` is set, then finishes the deliveries in flight. Claims
        again whenever a delivery ends, so a slow one never holds up the others."""
        wake = asyncio.Event()
        listener = asyncio.create_task(self._listen(wake))
        in_flight: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            wake.set()

        try:
            while not stop.is_set():
                wake.clear()
                started = 0
                try:
                    free = self.settings.webhook_worker_concurrency - len(in_flight)
                    claims = await self.claim(free) if free > 0 else []
                    for claim in claims:
                        task = asyncio.create_task(
                            self.attempt(claim, hand_off=lambda: not stop.is_set())
                        )
                        in_flight.add(task)
                        task.add_done_callback(finished)
                    started = len(claims)
                    await self._count_queue_depth()
                except Exception:
                    logger.exception("webhook delivery error; retrying shortly")
                if not started:
                    await _wait_any(wake, stop, at_most=POLL_SECONDS)
            if in_flight:
                await asyncio.wait(in_flight)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.aclose()

    async def claim(self, limit: int) -> list[Claim]:
        """Leases up to ``limit`` due deliveries, within each endpoint's bound."""
        now = self.clock.now()
        lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        bound = self.settings.webhook_endpoint_concurrency
        claims: list[Claim] = []
        async with self.engine.begin() as conn:
            await conn.execute(_NO_WAIT_FOR_FLUSH)
            endpoints = (
                await conn.execute(_CANDIDATES, {"now": now, "bound": bound, "limit": limit})
            ).all()
            for endpoint in endpoints:
                room = limit - len(claims)
                if room <= 0:
                    break
                rows = await conn.execute(
                    _LEASE,
                    {
                        "ws": endpoint.workspace_id,
                        "ep": endpoint.id,
                        "now": now,
                        "lease": lease,
                        "room": room,
                        "bound": bound,
                    },
                )
                claims.extend(
                    _claim(endpoint.workspace_id, endpoint.id, lease, endpoint, row) for row in rows
                )
        return claims

    async def attempt(self, claim: Claim, *, hand_off: Callable[[], bool] = lambda: False) -> None:
        """Sends one claimed delivery and records the outcome; while ``hand_off()`` says so,
        goes on with the endpoint's next due delivery, leased as this one is recorded. Never
        raises: a delivery whose outcome could not be recorded is due again when its lease
        ends."""
        current: Claim | None = claim
        while current is not None:
            try:
                outcome = await self._send(current)
                if self.metrics is not None and outcome.latency > 0:
                    self.metrics.webhook_latency.observe(outcome.latency)
                following = await self._record(current, outcome, hand_off=hand_off())
            except Exception:
                logger.exception("webhook delivery failed unexpectedly", extra=_ids(current))
                return
            current = following

    async def _send(self, claim: Claim) -> Outcome:
        attempted_at = self.clock.now()
        connect, read = self.settings.webhook_connect_timeout, self.settings.webhook_read_timeout
        try:
            async with asyncio.timeout(connect):
                target = await resolve(claim.url, self.settings.webhook_allowed_networks)
        except UnsafeURL as error:
            return Outcome(attempted_at, error=str(error))
        except TimeoutError:
            return Outcome(attempted_at, error=f"the host did not resolve within {connect:g} s")
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
        url, host, extensions = pinned(claim.url, target)
        headers = {
            "Host": host,
            "Content-Type": "application/json",
            # Ask for no compression: the excerpt is read raw and kept small.
            "Accept-Encoding": "identity",
            "User-Agent": "Tierline-Webhooks",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self._signatures(claim, webhook_id, sent_at, body),
        }
        http = self._client(target)
        request = http.build_request(
            "POST", url, content=body.encode(), headers=headers, extensions=extensions
        )
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
        secrets = [claim.secret]
        expires = claim.previous_secret_expires_at
        if claim.previous_secret and expires is not None and expires > self.clock.now():
            secrets.append(claim.previous_secret)
        return " ".join(Webhook(secret).sign(webhook_id, sent_at, body) for secret in secrets)

    async def _record(self, claim: Claim, outcome: Outcome, *, hand_off: bool) -> Claim | None:
        """Records the outcome if the lease is still ours; returns the endpoint's next due
        delivery, leased, when it was delivered and ``hand_off`` asks for one."""
        now = self.clock.now()
        keys = {"ws": claim.workspace_id, "msg": claim.message_id, "ep": claim.endpoint_id}
        attempt = {
            **keys,
            "lease": claim.lease,
            "at": outcome.attempted_at,
            "status_code": outcome.status_code,
            "latency_ms": round(outcome.latency * 1000, 3),
            "excerpt": outcome.excerpt,
        }
        following: Claim | None = None
        async with self.engine.begin() as conn:
            await conn.execute(_NO_WAIT_FOR_FLUSH)
            if outcome.delivered:
                next_lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
                row = (
                    await conn.execute(
                        _RECORD_DELIVERED,
                        {**attempt, "now": now, "hand_off": hand_off, "next_lease": next_lease},
                    )
                ).one()
                status: str | None = "delivered" if row.delivered else None
                if row.message_id is not None:
                    following = _claim(claim.workspace_id, claim.endpoint_id, next_lease, row, row)
            else:
                status = await self._record_failure(conn, claim, outcome, attempt)
        if status is None:
            # The lease ran out and another worker took the delivery, or it was replayed or
            # erased meanwhile: its outcome is no longer ours to write.
            logger.warning("webhook delivery lease lost; outcome not recorded", extra=_ids(claim))
        elif self.metrics is not None:
            if status == "pending":
                self.metrics.webhook_retries.inc()
            else:
                self.metrics.webhook_deliveries.labels(status).inc()
        return following

    async def _record_failure(
        self, conn: AsyncConnection, claim: Claim, outcome: Outcome, attempt: dict[str, Any]
    ) -> str | None:
        """Records a failed attempt and schedules the next one, or gives up; returns the
        delivery's new status, or None when the lease is no longer ours."""
        now = self.clock.now()
        attempts = (await conn.execute(_OWN_DELIVERY, attempt)).scalar_one_or_none()
        if attempts is None:
            return None
        attempts += 1
        await conn.execute(_INSERT_ATTEMPT, {**attempt, "error": outcome.error})
        gave_up = attempts >= len(self.settings.webhook_retry_schedule)
        status = "failed" if gave_up else "pending"
        await self._endpoint_failed(conn, claim, outcome, now)
        await conn.execute(
            _RESCHEDULE,
            {
                **attempt,
                "status": status,
                "attempts": attempts,
                "next_attempt_at": now if gave_up else now + self._wait(attempts, outcome),
                "error": outcome.error,
            },
        )
        return status

    def _wait(self, attempts: int, outcome: Outcome) -> timedelta:
        """The wait before the next attempt: the schedule's, with jitter; longer if a 429 or
        503 asked for it, up to the schedule's longest wait."""
        schedule = self.settings.webhook_retry_schedule
        seconds = schedule[attempts] * self.jitter()
        if outcome.status_code in (429, 503) and outcome.retry_after is not None:
            seconds = max(seconds, min(outcome.retry_after, max(schedule)))
        return timedelta(seconds=seconds)

    async def _endpoint_failed(
        self, conn: AsyncConnection, claim: Claim, outcome: Outcome, now: datetime
    ) -> None:
        keys = {"ws": claim.workspace_id, "ep": claim.endpoint_id}
        endpoint = (await conn.execute(_ENDPOINT_FAILED, {**keys, "now": now})).one()
        if not endpoint.enabled:
            return
        if outcome.status_code == 410:
            reason = f"the endpoint answered 410 Gone at {_moment(now)}"
        elif now - endpoint.failing_since >= FAILING_FOR:
            reason = f"every delivery failed since {_moment(endpoint.failing_since)}"
        else:
            return
        await conn.execute(_DISABLE_ENDPOINT, {**keys, "now": now, "reason": reason})
        logger.warning("webhook endpoint disabled", extra={**_ids(claim), "reason": reason})

    async def _count_queue_depth(self) -> None:
        if self.metrics is None:
            return
        if time.monotonic() - self._depth_counted_at < QUEUE_DEPTH_EVERY_SECONDS:
            return
        self._depth_counted_at = time.monotonic()
        async with self.engine.connect() as conn:
            depth = (await conn.execute(_QUEUE_DEPTH, {"now": self.clock.now()})).scalar_one()
        self.metrics.webhook_queue_depth.set(depth)

    async def _listen(self, wake: asyncio.Event) -> None:
        """Sets ``wake`` on every NOTIFY on the webhook channel, over a connection of its own;
        reconnects when it is lost. Polling covers the gaps (and a missing database URL)."""
        if self.settings.database_url is None:
            return
        dsn = asyncpg_dsn(self.settings.database_url)
        while True:
            try:
                await _listen_once(dsn, wake)
                logger.warning("webhook listener lost its connection; reconnecting")
            except Exception as error:
                logger.warning("webhook listener failed (%s); reconnecting", error)
            await asyncio.sleep(RECONNECT_SECONDS)


async def _listen_once(dsn: str, wake: asyncio.Event) -> None:
    """Listens until the connection is lost."""
    conn = await asyncpg.connect(dsn)
    try:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, lambda *_: wake.set())
        wake.set()  # whatever was enqueued while nobody listened
        await lost.wait()
    finally:
        conn.terminate()


def _claim(
    workspace_id: UUID, endpoint_id: UUID, lease: datetime, endpoint: Any, row: Any
) -> Claim:
    """A claim from a leased delivery's message ``row`` and its ``endpoint`` row."""
    return Claim(
        workspace_id=workspace_id,
        message_id=row.message_id,
        endpoint_id=endpoint_id,
        lease=lease,
        url=endpoint.url,
        secret=endpoint.secret,
        previous_secret=endpoint.previous_secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        type=row.type,
        customer_id=row.customer_id,
        data=row.data,
        seq=row.seq,
        created_at=row.created_at,
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


def _ids(claim: Claim) -> dict[str, str]:
    return {"message_id": str(claim.message_id), "endpoint_id": str(claim.endpoint_id)}


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def _wait_any(*events: asyncio.Event, at_most: float) -> None:
    waiters: Sequence[asyncio.Task[Any]] = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=at_most, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
