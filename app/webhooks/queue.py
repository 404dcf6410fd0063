"""The delivery queue: leasing due deliveries and recording each attempt, so that any number of
workers can share it.

A claim first looks, without locks, for the workspaces with due deliveries; then, in one
short transaction of two phases, it locks their endpoints that have due deliveries (``FOR NO
KEY UPDATE SKIP LOCKED``, one workspace per statement, as Citus runs ``FOR UPDATE`` only
within one shard), workspaces taking turns (each one's oldest endpoint before any one's
second), leaving out those at their bound. Then, holding
their workspaces' locks too, it counts each endpoint's and its workspace's deliveries in
flight and leases as many of the endpoint's oldest as both bounds
(``webhook_endpoint_concurrency``, ``webhook_workspace_concurrency``) leave room for,
moving their ``next_attempt_at`` to the end of the lease.

An outcome is recorded if the lease is still the worker's. Delivered ones in bulk: those
that came while the previous such statement ran are written together, by one statement on a
raw asyncpg connection, which also leases each one's successor at its endpoint. A failure
in a short transaction of its own: retried on the schedule (with jitter, longer if the
receiver asked), or given up; an endpoint that answers 410 or fails for ``FAILING_FOR`` is
disabled. A worker that dies leaves its deliveries due again when
their leases end; one slow endpoint, or one workspace's backlog, never holds more than its
share of the workers.

Everything here reads the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.auth.repository import config_changed
from app.clock import Clock
from app.db.engine import UNBOUNDED, Timeouts, create_raw_pool
from app.settings import Settings
from app.webhooks.attempt import Claim, Outcome

logger = logging.getLogger(__name__)

FAILING_FOR = timedelta(days=5)
"""An endpoint whose every delivery failed for this long is disabled."""


# The first phase of a claim, without locks: the workspaces with due deliveries, the longest
# waiting first. The one statement of a claim that reads across workspaces (on Citus, every
# shard), so it declares it (``multi_task_query_log_level``, which a test raises to an error).
_DUE_WORKSPACES = text(
    """
    SELECT e.workspace_id, min(due.oldest) AS oldest
    FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT min(d.next_attempt_at) AS oldest
        FROM webhook_deliveries d
        WHERE d.endpoint_id = e.id AND d.workspace_id = e.workspace_id
          AND d.status = 'pending' AND d.next_attempt_at <= :now
    ) due
    WHERE e.enabled AND due.oldest IS NOT NULL
    GROUP BY e.workspace_id
    ORDER BY oldest
    LIMIT :limit
    """
)
_ACROSS_WORKSPACES = text("SET LOCAL citus.multi_task_query_log_level TO off")

# Then, for each of them, one workspace's endpoints in one statement (on Citus, one shard:
# ``FOR UPDATE`` runs only within one), their turns ranked across workspaces after.
_CANDIDATES = text(
    """
    WITH due AS (
        SELECT e.workspace_id, e.id, due.oldest
        FROM webhook_endpoints e
        CROSS JOIN LATERAL (
            SELECT min(d.next_attempt_at) AS oldest
            FROM webhook_deliveries d
            WHERE d.endpoint_id = e.id AND d.workspace_id = :ws
              AND d.status = 'pending' AND d.next_attempt_at <= :now
        ) due
        WHERE e.workspace_id = :ws AND e.enabled AND due.oldest IS NOT NULL
          -- A deleted workspace's deliveries are cancelled with it; one its last writes
          -- queued as it was deleted is never sent either.
          AND NOT EXISTS (
              SELECT 1 FROM workspaces w WHERE w.id = e.workspace_id AND w.deleted_at IS NOT NULL
          )
          -- A first look, re-counted under the lock: an endpoint already at its bound would
          -- only take a place another endpoint could use.
          AND (
              SELECT count(*) FROM webhook_deliveries d
              WHERE d.endpoint_id = e.id AND d.workspace_id = :ws
                AND d.status = 'pending' AND d.next_attempt_at > :now AND d.leased_until > :now
                AND NOT d.reserved
          ) < :bound
    ),
    -- The same first look for the workspaces: one at its bound is left out.
    busy AS (
        SELECT e.workspace_id, count(*) AS in_flight
        FROM webhook_endpoints e
        JOIN webhook_deliveries d ON d.workspace_id = e.workspace_id AND d.endpoint_id = e.id
        WHERE e.workspace_id = :ws AND d.workspace_id = :ws
          AND d.status = 'pending' AND d.next_attempt_at > :now AND d.leased_until > :now
          AND NOT d.reserved
        GROUP BY e.workspace_id
    ),
    -- Round-robin: every workspace's oldest endpoint before any workspace's second, so a
    -- backlog in one workspace never queues another's webhooks behind it.
    turns AS (
        SELECT due.workspace_id, due.id, due.oldest,
               row_number() OVER (PARTITION BY due.workspace_id ORDER BY due.oldest) AS turn
        FROM due LEFT JOIN busy ON busy.workspace_id = due.workspace_id
        WHERE COALESCE(busy.in_flight, 0) < :workspace_bound
    )
    SELECT e.workspace_id, e.id, e.url, e.secret, e.previous_secret,
           e.previous_secret_expires_at, t.turn, t.oldest
    FROM turns t
    JOIN webhook_endpoints e ON e.workspace_id = t.workspace_id AND e.id = t.id
    WHERE e.workspace_id = :ws
    ORDER BY t.turn, t.oldest
    LIMIT :limit
    -- NO KEY: the outbox may still insert deliveries for the endpoint meanwhile.
    FOR NO KEY UPDATE OF e SKIP LOCKED
    """
)

# Workers claiming for one workspace take turns, so that each counts the workspace's
# deliveries in flight with the leases of the one before: its bound holds across workers.
# Taken in the keys' order, so two claims never wait for each other in a circle.
_LOCK_WORKSPACES = text(
    """
    SELECT count(pg_advisory_xact_lock(key))
    FROM (
        SELECT DISTINCT hashtextextended('webhooks:' || CAST(ws AS text), 0) AS key
        FROM unnest(CAST(:workspaces AS uuid[])) AS ws
        ORDER BY key
    ) keys
    """
)

# Runs after the endpoint's and the workspace's locks are held, so its snapshot counts every
# lease committed by the worker that held them before (and those of this transaction). A
# lease moves next_attempt_at to its end, so the partial index on (endpoint_id,
# next_attempt_at) finds the deliveries in flight.
_LEASE = text(
    """
    WITH endpoint_busy AS (
        SELECT count(*) AS in_flight
        FROM webhook_deliveries
        WHERE endpoint_id = :ep AND workspace_id = :ws
          AND status = 'pending' AND next_attempt_at > :now AND leased_until > :now
          AND NOT reserved
    ),
    workspace_busy AS (
        SELECT count(*) AS in_flight
        FROM webhook_endpoints e
        JOIN webhook_deliveries d ON d.workspace_id = e.workspace_id AND d.endpoint_id = e.id
        WHERE e.workspace_id = :ws AND d.workspace_id = :ws
          AND d.status = 'pending' AND d.next_attempt_at > :now AND d.leased_until > :now
          AND NOT d.reserved
    ),
    room AS (
        SELECT GREATEST(0, LEAST(:room, :bound - endpoint_busy.in_flight,
                                 :workspace_bound - workspace_busy.in_flight)) AS n
        FROM endpoint_busy, workspace_busy
    ),
    picked AS (
        SELECT ctid, workspace_id, message_id, endpoint_id
        FROM webhook_deliveries
        WHERE endpoint_id = :ep AND workspace_id = :ws
          AND status = 'pending' AND next_attempt_at <= :now
        ORDER BY next_attempt_at
        LIMIT (SELECT n FROM room)
        FOR UPDATE SKIP LOCKED
    )
    -- The planner cannot know how few are picked: they are updated by their row addresses,
    -- and each one's message looked up by its key, so that neither table is scanned.
    UPDATE webhook_deliveries d
    SET leased_until = :lease, next_attempt_at = :lease, reserved = false
    FROM picked p
    CROSS JOIN LATERAL (
        SELECT m.type, m.customer_id, m.data, m.seq, m.created_at
        FROM webhook_messages m
        WHERE m.workspace_id = :ws AND m.id = p.message_id
        OFFSET 0  -- kept a lookup, not flattened into a join
    ) m
    WHERE d.workspace_id = :ws
      AND d.ctid = ANY (ARRAY(SELECT ctid FROM picked)) AND d.ctid = p.ctid
    RETURNING d.message_id, m.type, m.customer_id, m.data, m.seq, m.created_at
    """
)

# A lease or an outcome lost in a database crash is at worst one more delivery of the same
# message, which at-least-once delivery allows: the worker need not wait for each commit to
# reach the disk.
_NO_WAIT_FOR_FLUSH = text("SET LOCAL synchronous_commit TO off")
_RECORDING_SETTINGS = {"synchronous_commit": "off", "enable_hashjoin": "off"}
"""The raw connection that records delivered outcomes runs ``_RECORD_DELIVERED`` alone. No
wait for the WAL flush, as above. No hash joins: the planner cannot know how few deliveries a
statement picks (a ``LIMIT`` per endpoint), guesses hundreds, and would hash the workspace's
whole queue to update them (4 ms a statement at 10,000 queued) where a lookup by key per pick
takes microseconds."""

# The common outcome, for every delivery delivered since the last such statement, in one
# statement per workspace ($16; on Citus, one shard each) on the raw connection: each
# delivery, if its lease is still ours, becomes delivered, with its attempt row, and its
# endpoint is no longer failing. A slot that goes on sends next either the delivery it had
# reserved (``promoted_id``: from now on it counts toward the bounds, under the lease it is
# sent with) or, with ``hand_off``, one of the endpoint's next due deliveries, leased here;
# either takes over the place the recorded one leaves, so the endpoint's and the workspace's
# deliveries in flight stay as many and their bounds hold without their locks. With
# ``reserve``, one more is leased as reserved, for the slot to send as soon as its current
# one is answered, without waiting for this statement.
_RECORD_DELIVERED = """
WITH outcome AS (
    SELECT *
    FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[],
                $6::int[], $7::float8[], $8::text[], $9::bool[], $10::bool[], $11::uuid[],
                $12::timestamptz[], $13::timestamptz[])
         AS o(workspace_id, message_id, endpoint_id, lease, attempted_at, status_code,
              latency_ms, excerpt, hand_off, reserve, promoted_id, reserved_lease,
              promoted_lease)
),
delivered AS (
    UPDATE webhook_deliveries d
    SET status = 'delivered', attempts = d.attempts + 1, next_attempt_at = $14,
        leased_until = NULL, last_attempt_at = o.attempted_at,
        last_status_code = o.status_code, last_error = NULL, delivered_at = $14
    FROM outcome o
    WHERE d.workspace_id = $16 AND d.workspace_id = o.workspace_id
      AND d.message_id = o.message_id
      AND d.endpoint_id = o.endpoint_id AND d.status = 'pending' AND d.leased_until = o.lease
    RETURNING d.workspace_id, d.message_id, d.endpoint_id, o.attempted_at, o.status_code,
              o.latency_ms, o.excerpt, o.hand_off
),
attempt AS (
    INSERT INTO webhook_attempts (workspace_id, message_id, endpoint_id, attempted_at,
                                  status_code, latency_ms, response_excerpt)
    SELECT workspace_id, message_id, endpoint_id, attempted_at, status_code, latency_ms,
           excerpt
    FROM delivered
),
-- Locked in one order, so two workers recovering the same endpoints never wait in a circle.
-- (An array, not a semi-join: Citus 13.2 reads the semi-join's input in the wrong format
-- under FOR UPDATE, "invalid input syntax for type uuid: PGCOPY".)
recovered AS (
    SELECT e.workspace_id, e.id
    FROM webhook_endpoints e
    WHERE e.workspace_id = $16 AND e.id = ANY(ARRAY(SELECT endpoint_id FROM delivered))
      AND e.failing_since IS NOT NULL
    ORDER BY e.workspace_id, e.id
    FOR NO KEY UPDATE
),
endpoint AS (
    UPDATE webhook_endpoints e SET failing_since = NULL
    FROM recovered r
    WHERE e.workspace_id = $16 AND e.workspace_id = r.workspace_id AND e.id = r.id
),
-- Only an unexpired reservation: an expired one is due, and may be leased below or by others.
promoted AS (
    UPDATE webhook_deliveries d
    SET reserved = false, leased_until = o.promoted_lease, next_attempt_at = o.promoted_lease
    FROM outcome o
    WHERE o.promoted_id IS NOT NULL AND d.workspace_id = $16
      AND d.workspace_id = o.workspace_id AND d.message_id = o.promoted_id
      AND d.endpoint_id = o.endpoint_id AND d.status = 'pending' AND d.reserved
      AND d.leased_until = o.reserved_lease AND d.leased_until > $14
),
wanted AS (
    SELECT workspace_id, endpoint_id, true AS sending FROM delivered WHERE hand_off
    UNION ALL
    SELECT workspace_id, endpoint_id, false FROM outcome WHERE reserve
),
places AS (
    SELECT workspace_id, endpoint_id, count(*) FILTER (WHERE sending) AS sending,
           count(*) AS n
    FROM wanted
    GROUP BY workspace_id, endpoint_id
),
-- One pick per endpoint for both kinds: the oldest to send next, the rest reserved. Each
-- message is looked up by its key: the planner cannot know how few the picks are, and
-- joined would hash the whole messages table.
following AS (
    SELECT d.ctid, d.workspace_id, d.message_id, d.endpoint_id, e.url, e.secret,
           e.previous_secret, e.previous_secret_expires_at, m.type, m.customer_id, m.data,
           m.seq, m.created_at,
           row_number() OVER (PARTITION BY d.workspace_id, d.endpoint_id
                              ORDER BY d.next_attempt_at) > p.sending AS reserved
    FROM places p
    JOIN webhook_endpoints e ON e.workspace_id = p.workspace_id AND e.id = p.endpoint_id
    CROSS JOIN LATERAL (
        SELECT d.ctid, d.workspace_id, d.message_id, d.endpoint_id, d.next_attempt_at
        FROM webhook_deliveries d
        WHERE d.endpoint_id = p.endpoint_id AND d.workspace_id = $16
          AND d.status = 'pending' AND d.next_attempt_at <= $14
        ORDER BY d.next_attempt_at
        LIMIT p.n
        FOR UPDATE SKIP LOCKED
    ) d
    CROSS JOIN LATERAL (
        SELECT m.type, m.customer_id, m.data, m.seq, m.created_at
        FROM webhook_messages m
        WHERE m.workspace_id = $16 AND m.id = d.message_id
        OFFSET 0  -- kept a lookup, not flattened into a join
    ) m
    WHERE e.workspace_id = $16 AND e.enabled
      AND NOT EXISTS (
          SELECT 1 FROM workspaces w WHERE w.id = p.workspace_id AND w.deleted_at IS NOT NULL
      )
),
leased AS (
    UPDATE webhook_deliveries d
    SET leased_until = $15, next_attempt_at = $15, reserved = f.reserved
    FROM following f
    -- By key, each through the index: the connection's planner takes no hash join (see
    -- _RECORDING_SETTINGS). Row addresses, as in _LEASE, or an array of the ids, Citus refuses
    -- in this statement.
    WHERE d.workspace_id = $16 AND d.message_id = f.message_id AND d.endpoint_id = f.endpoint_id
    RETURNING d.workspace_id, d.message_id, d.endpoint_id, f.type, f.customer_id, f.data,
              f.seq, f.created_at, f.url, f.secret, f.previous_secret,
              f.previous_secret_expires_at, f.reserved
)
SELECT 'delivered' AS kind, workspace_id, message_id, endpoint_id, NULL AS type,
       NULL AS customer_id, NULL::jsonb AS data, NULL::bigint AS seq,
       NULL::timestamptz AS created_at, NULL AS url, NULL AS secret, NULL AS previous_secret,
       NULL::timestamptz AS previous_secret_expires_at
FROM delivered
UNION ALL
SELECT CASE WHEN reserved THEN 'reserved' ELSE 'sending' END, workspace_id, message_id,
       endpoint_id, type, customer_id, data, seq, created_at, url, secret, previous_secret,
       previous_secret_expires_at
FROM leased
"""

# A reserved delivery its slot will not send (its current one failed, or the worker stops):
# due again at once, for any worker.
_RELEASE = text(
    """
    UPDATE webhook_deliveries
    SET reserved = false, leased_until = NULL, next_attempt_at = :now
    WHERE workspace_id = :ws AND message_id = :msg AND endpoint_id = :ep
      AND status = 'pending' AND reserved AND leased_until = :lease
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


_CANCEL_PENDING = text(
    """
    UPDATE webhook_deliveries
    SET status = 'failed', leased_until = NULL, last_error = :reason
    WHERE workspace_id = :ws AND status = 'pending'
    """
)


async def cancel_workspace(conn: AsyncConnection, workspace_id: UUID) -> None:
    """Stops a deleted workspace's pending deliveries, in the caller's transaction; a lease
    taken before is not recorded when it ends (the delivery is no longer pending)."""
    reason = "The workspace was deleted."
    await conn.execute(_CANCEL_PENDING, {"ws": workspace_id, "reason": reason})


def default_jitter() -> float:
    return random.uniform(1.0, 1.1)


@dataclass(frozen=True, slots=True)
class Promotion:
    """A slot's reserved delivery, which it sends next: ``sending`` is the same delivery
    under the lease it is sent with, which the next recording gives it."""

    reserved: Claim
    sending: Claim


@dataclass(frozen=True, slots=True)
class _Delivered:
    """A delivered outcome waiting for the next ``_RECORD_DELIVERED``."""

    claim: Claim
    outcome: Outcome
    hand_off: bool
    reserve: bool
    promotion: Promotion | None
    written: asyncio.Future[Recorded]


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an outcome came to."""

    status: str | None
    """The delivery's new status (``delivered``, ``pending`` again or ``failed``); None when
    the lease was no longer ours and nothing was written."""
    following: Claim | None = None
    """The endpoint's next due delivery, leased in the same transaction, when asked for."""
    reserved: Claim | None = None
    """One more, leased as reserved for the slot to send after ``following`` (or after
    the delivery it promoted), when asked for."""


class DeliveryQueue:
    """Claims and records deliveries in ``webhook_deliveries``, ``webhook_attempts`` and
    ``webhook_endpoints``."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        settings: Settings,
        *,
        jitter: Callable[[], float] = default_jitter,
        timeouts: Timeouts = UNBOUNDED,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.jitter = jitter
        self.timeouts = timeouts
        self._raw: asyncpg.Pool | None = None
        """One raw connection, opened at the first delivered outcome, for recording them."""
        self._delivered: list[_Delivered] = []
        self._flushing: asyncio.Task[None] | None = None

    async def claim(self, limit: int) -> list[Claim]:
        """Leases up to ``limit`` due deliveries, workspaces taking turns, within each
        endpoint's and each workspace's bound."""
        now = self.clock.now()
        lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        bounds = {
            "bound": self.settings.webhook_endpoint_concurrency,
            "workspace_bound": self.settings.webhook_workspace_concurrency,
        }
        claims: list[Claim] = []
        async with self.engine.begin() as conn:
            await conn.execute(_ACROSS_WORKSPACES)
            due = (await conn.execute(_DUE_WORKSPACES, {"now": now, "limit": limit})).all()
        async with self.engine.begin() as conn:
            await conn.execute(_NO_WAIT_FOR_FLUSH)
            candidates: list[Row[Any]] = []
            for workspace in due:
                found = {"now": now, "limit": limit, "ws": workspace.workspace_id, **bounds}
                candidates += (await conn.execute(_CANDIDATES, found)).all()
            # Every workspace's oldest endpoint before any one's second.
            endpoints = sorted(candidates, key=lambda e: (e.turn, e.oldest))[:limit]
            if endpoints:
                workspaces = list({endpoint.workspace_id for endpoint in endpoints})
                await conn.execute(_LOCK_WORKSPACES, {"workspaces": workspaces})
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
                        **bounds,
                    },
                )
                claims.extend(
                    _claim(endpoint.workspace_id, endpoint.id, lease, endpoint._mapping, row)
                    for row in rows.mappings()
                )
        return claims

    def promote(self, reserved: Claim) -> Promotion:
        """The slot's reserved delivery, to be sent now under a lease of its own; it counts
        toward the bounds once the slot's current outcome is recorded with it."""
        lease = self.clock.now() + timedelta(seconds=self.settings.webhook_lease_seconds)
        return Promotion(reserved, replace(reserved, lease=lease))

    async def record(
        self,
        claim: Claim,
        outcome: Outcome,
        *,
        hand_off: bool,
        reserve: bool = False,
        promotion: Promotion | None = None,
        release: Claim | None = None,
    ) -> Recorded:
        """Records the outcome if the lease is still ours. When it was delivered, with it:
        ``promotion``, the slot's reserved delivery now being sent, counted in place of this
        one; else, with ``hand_off``, the endpoint's next due delivery, leased to send next;
        with ``reserve``, one more leased as reserved. ``release`` is a reserved delivery
        the slot gives back (due again at once)."""
        if outcome.delivered:
            recorded = await self._record_delivered(
                _Delivered(
                    claim,
                    outcome,
                    hand_off,
                    reserve,
                    promotion,
                    asyncio.get_running_loop().create_future(),
                )
            )
            if release is not None:
                await self.release(release)
        else:
            recorded = await self._record_failure(claim, outcome, release)
        if recorded.status is None:
            # The lease ran out and another worker took the delivery, or it was replayed or
            # erased meanwhile: its outcome is no longer ours to write.
            logger.warning("webhook delivery lease lost; outcome not recorded", extra=claim.ids())
        return recorded

    async def aclose(self) -> None:
        """Closes the raw connection, once the outcomes being recorded are written."""
        if self._flushing is not None:
            await asyncio.wait([self._flushing])
        if self._raw is not None:
            raw, self._raw = self._raw, None
            await raw.close()

    async def _record_delivered(self, delivered: _Delivered) -> Recorded:
        """Queues the outcome for the next ``_RECORD_DELIVERED``: one runs at a time, with
        every outcome that came while the one before ran (group commit), so a busy worker
        writes many per round trip and an idle one waits for none."""
        self._delivered.append(delivered)
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_delivered())
        return await delivered.written

    async def _flush_delivered(self) -> None:
        try:
            while self._delivered:
                batch, self._delivered = self._delivered, []
                try:
                    recorded = await self._write_delivered(batch)
                except Exception as error:
                    for each in batch:
                        if not each.written.done():
                            each.written.set_exception(error)
                    continue
                for each, result in zip(batch, recorded, strict=True):
                    if not each.written.done():
                        each.written.set_result(result)
        finally:
            self._flushing = None

    async def _write_delivered(self, batch: list[_Delivered]) -> list[Recorded]:
        now = self.clock.now()
        next_lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        columns = list(
            zip(
                *(
                    (
                        each.claim.workspace_id,
                        each.claim.message_id,
                        each.claim.endpoint_id,
                        each.claim.lease,
                        each.outcome.attempted_at,
                        each.outcome.status_code,
                        round(each.outcome.latency * 1000, 3),
                        each.outcome.excerpt,
                        each.hand_off and each.promotion is None,
                        each.reserve,
                        *_promoted(each.promotion),
                    )
                    for each in batch
                ),
                strict=True,
            )
        )
        if self._raw is None:
            self._raw = await create_raw_pool(
                self.engine.url.render_as_string(hide_password=False),
                1,
                timeouts=self.timeouts,
                settings=_RECORDING_SETTINGS,
            )
        rows = []
        async with self._raw.acquire() as conn:
            for workspace_id, of_workspace in _by_workspace(columns):
                rows += await conn.fetch(
                    _RECORD_DELIVERED, *of_workspace, now, next_lease, workspace_id
                )
        delivered = set()
        leased: dict[str, dict[UUID, list[Claim]]] = {"sending": {}, "reserved": {}}
        for row in rows:
            if row["kind"] == "delivered":
                delivered.add((row["message_id"], row["endpoint_id"]))
            else:
                claim = _claim(row["workspace_id"], row["endpoint_id"], next_lease, row, row)
                leased[row["kind"]].setdefault(claim.endpoint_id, []).append(claim)

        def taken(kind: str, endpoint_id: UUID) -> Claim | None:
            claims = leased[kind].get(endpoint_id)
            return claims.pop() if claims else None

        recorded = []
        for each in batch:
            endpoint_id = each.claim.endpoint_id
            reserved = taken("reserved", endpoint_id) if each.reserve else None
            if (each.claim.message_id, endpoint_id) not in delivered:
                recorded.append(Recorded(None, reserved=reserved))
                continue
            following = None
            if each.hand_off and each.promotion is None:
                following = taken("sending", endpoint_id)
            recorded.append(Recorded("delivered", following, reserved))
        return recorded

    async def depth(self) -> int:
        """How many deliveries are due to enabled endpoints."""
        async with self.engine.connect() as conn:
            depth: int = (await conn.execute(_QUEUE_DEPTH, {"now": self.clock.now()})).scalar_one()
        return depth

    async def release(self, reserved: Claim) -> None:
        """Gives back a reserved delivery its slot will not send: due again at once."""
        async with self.engine.begin() as conn:
            await conn.execute(_NO_WAIT_FOR_FLUSH)
            await self._release(conn, reserved)

    async def _release(self, conn: AsyncConnection, reserved: Claim) -> None:
        await conn.execute(
            _RELEASE,
            {
                "ws": reserved.workspace_id,
                "msg": reserved.message_id,
                "ep": reserved.endpoint_id,
                "lease": reserved.lease,
                "now": self.clock.now(),
            },
        )

    async def _record_failure(
        self, claim: Claim, outcome: Outcome, release: Claim | None
    ) -> Recorded:
        """Records a failed attempt and schedules the next one, or gives up, in a transaction
        of its own, which also gives back the slot's reserved delivery."""
        now = self.clock.now()
        attempt = {
            "ws": claim.workspace_id,
            "msg": claim.message_id,
            "ep": claim.endpoint_id,
            "lease": claim.lease,
            "at": outcome.attempted_at,
            "status_code": outcome.status_code,
            "latency_ms": round(outcome.latency * 1000, 3),
            "excerpt": outcome.excerpt,
        }
        async with self.engine.begin() as conn:
            await conn.execute(_NO_WAIT_FOR_FLUSH)
            if release is not None:
                await self._release(conn, release)
            attempts = (await conn.execute(_OWN_DELIVERY, attempt)).scalar_one_or_none()
            if attempts is None:
                return Recorded(None)
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
        return Recorded(status)

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
        await config_changed(conn, claim.workspace_id)
        logger.warning("webhook endpoint disabled", extra={**claim.ids(), "reason": reason})


class _Row(Protocol):
    """A row by column name: SQLAlchemy's ``RowMapping`` or asyncpg's ``Record``."""

    def __getitem__(self, name: str, /) -> Any: ...


def _by_workspace(columns: list[tuple[Any, ...]]) -> list[tuple[UUID, list[list[Any]]]]:
    """The columns of ``_RECORD_DELIVERED`` (the first: workspace ids) split by workspace."""
    rows: dict[UUID, list[tuple[Any, ...]]] = {}
    for row in zip(*columns, strict=True):
        rows.setdefault(row[0], []).append(row)
    return [
        (workspace_id, [list(column) for column in zip(*of_workspace, strict=True)])
        for workspace_id, of_workspace in rows.items()
    ]


def _claim(
    workspace_id: UUID,
    endpoint_id: UUID,
    lease: datetime,
    endpoint: _Row,
    message: _Row,
) -> Claim:
    """A claim from a leased delivery's ``message`` row and its ``endpoint`` row."""
    return Claim(
        workspace_id=workspace_id,
        message_id=message["message_id"],
        endpoint_id=endpoint_id,
        lease=lease,
        url=endpoint["url"],
        secret=endpoint["secret"],
        previous_secret=endpoint["previous_secret"],
        previous_secret_expires_at=endpoint["previous_secret_expires_at"],
        type=message["type"],
        customer_id=message["customer_id"],
        data=message["data"],
        seq=message["seq"],
        created_at=message["created_at"],
    )


def _promoted(
    promotion: Promotion | None,
) -> tuple[UUID | None, datetime | None, datetime | None]:
    """The promoted delivery's id, its reservation's lease and the lease it is sent with."""
    if promotion is None:
        return None, None, None
    return promotion.reserved.message_id, promotion.reserved.lease, promotion.sending.lease


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
