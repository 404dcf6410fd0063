"""One event, three round trips: ``BEGIN`` with the write, the read, the apply with ``COMMIT``.

The same work as ``service.ingest`` followed by the classification pipeline, shaped for one
customer on a raw asyncpg connection (``app.db.engine.create_raw_pool``), with statements
compiled once (``positional``) and prepared once per connection:

1. **write**, sent with ``BEGIN``: the event is inserted (its id is the idempotency key);
   only if it is new, the customer's lifetime totals take it under the customer's row lock,
   then the day's roll-up and the roll-ups of the user-defined metrics it feeds (in that
   order, the order every writer locks them in). Its command tag tells a replay.
2. **read**, a statement of its own so that its snapshot is taken after the row lock: the
   workspace's configuration version, the customer's row, window sums, user-defined
   roll-ups, tiers and segment memberships.
3. The configuration is the process's cached one (``app.classification.config``). If the
   version read in 2 is not the cached one, something the event depends on changed (an FX
   rate, a metric definition, a scheme, a key): the transaction is rolled back and the event
   starts over with the configuration reloaded, or is refused with 401 if its key was
   revoked meanwhile.
4. The Python engine classifies the customer (``policy.classify`` and the segments'
   ``evaluate``, held equal to the SQL engine by ``tests/tiers/test_bulk_equals_single.py``
   and ``tests/classification/test_triggers.py``).
5. **apply**, sent with ``COMMIT`` (alone when nothing changed): assignments, tier and
   segment history, memberships, outbox messages with their deliveries, ``next_review_at``,
   and the NOTIFY that wakes the delivery workers, in one statement.

Only the simple protocol lets ``BEGIN`` and ``COMMIT`` share a round trip, and it takes no
parameters: the write and apply statements are prepared by SQL when a connection opens and
run by ``EXECUTE`` with literal arguments (``Positional.execute``). For an order or a refund
in a workspace with a CLV model, the read also brings the customer's purchase summary, and
one more statement writes the predictions made of it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any, Literal

import asyncpg
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.service import UNKNOWN_KEY
from app.classification import pipeline
from app.classification.config import (
    ATTEMPTS,
    ConfigCache,
    ConfigurationChanging,
    WorkspaceConfig,
)
from app.clock import earliest, utc_day
from app.customers import repository as customer_store
from app.customers.service import CustomerView, view_of
from app.db.engine import RawConnection
from app.db.statements import Positional, positional
from app.db.tables import customers
from app.errors import Unauthorized
from app.events import repository as event_store
from app.events.schemas import EventIn
from app.events.service import Outcome, check_time, customer_values, fingerprint, replayed
from app.fx.service import missing_rate
from app.metrics import repository as metric_store
from app.metrics import service as user_metrics
from app.metrics.aggregate import evaluate as evaluate_metrics
from app.money import convert
from app.predictions import repository as prediction_store
from app.predictions.service import predictions
from app.rules.evaluate import evaluate
from app.segments import membership
from app.segments.membership import MembershipChange
from app.tiers import policy
from app.tiers import repository as tier_store
from app.tiers.bulk import ASSIGNMENT_REPLACED
from app.tiers.policy import Assignment, Classification
from app.webhooks import CHANNEL, outbox


class _Replay(Exception):
    """The event's id is taken: it is answered as a replay."""


class _Stale(Exception):
    """The cached configuration is older than the workspace's: start over."""

    def __init__(self, version: int) -> None:
        self.version = version


def _write(day: bool, rollups: bool) -> Positional:
    parts = [
        f"ev AS ({event_store.INSERT_SQL})",
        f"customer AS ({customer_store.fold_event_sql(after='ev')})",
    ]
    if day:
        parts.append(f"day AS ({customer_store.add_to_day_sql(after='customer')})")
    if rollups:
        for name, table, per_day in (
            ("rollup_days", "customer_source_days", True),
            ("rollup_totals", "customer_source_totals", False),
        ):
            upsert = metric_store.bulk_rollup_upsert(
                table, day=per_day, rows=f":{name}", after="customer"
            )
            parts.append(f"{name} AS ({upsert})")
    # The command tag tells whether the event was new: SELECT 1, or SELECT 0 for a replay.
    statement = "WITH " + ",\n".join(parts) + "\nSELECT 1 FROM ev"
    return positional(statement, f"tierline_event_{int(day)}{int(rollups)}")


_WRITES = {
    (day, rollups): _write(day, rollups) for day in (False, True) for rollups in (False, True)
}


_OF_CUSTOMER = "WHERE workspace_id = :workspace_id AND customer_id = :customer_id"
_CUSTOMER_COLUMNS = tuple(column.name for column in customers.c)
_VERSION = "SELECT config_version FROM workspaces WHERE id = $1"
_RATE = "SELECT rate FROM fx_rates WHERE workspace_id = $1 AND currency = $2"
_PREDICT = positional(prediction_store.WRITE_SQL)


@cache
def _read(rollups: bool, summaries: bool) -> Positional:
    assignment = ", ".join(tier_store.ASSIGNMENT_COLUMNS)
    # Built from constants only.
    columns = [
        "(SELECT config_version FROM workspaces WHERE id = :workspace_id) AS config_version",
        "c.*",
        "sums.*",
        f"(SELECT array_agg(ROW({assignment})) FROM customer_tiers {_OF_CUSTOMER}) AS tiers",  # noqa: S608
        f"(SELECT array_agg(segment_key) FROM segment_members {_OF_CUSTOMER}) AS members",  # noqa: S608
    ]
    if rollups:
        read = metric_store.READ_ROLLUPS_SQL
        columns.append(f"(SELECT array_agg(ROW(r.*)) FROM ({read}) AS r) AS rollups")  # noqa: S608
    if summaries:
        found = prediction_store.FOR_CUSTOMERS_SQL
        columns.append(f"(SELECT array_agg(ROW(s.*)) FROM ({found}) AS s) AS summaries")  # noqa: S608
    sums = customer_store.WINDOW_SUMS_SQL
    return positional(
        f"SELECT {', '.join(columns)} FROM customers AS c, ({sums}) AS sums "  # noqa: S608
        "WHERE c.workspace_id = :workspace_id AND c.customer_id = :customer_id"
    )


_APPLY = positional(
    "WITH "  # noqa: S608 (constant SQL text joined; values are bound parameters)
    + """tiers AS (
    INSERT INTO customer_tiers AS t (
        workspace_id, customer_id, scheme_key, tier, version, since,
        downgrade_to, downgrade_since, downgrade_at,
        override_tier, override_reason, override_set_at, override_expires_at
    )
    SELECT :workspace_id, :customer_id, a.scheme_key, a.tier, a.version, a.since,
           a.downgrade_to, a.downgrade_since, a.downgrade_at,
           a.override_tier, a.override_reason, a.override_set_at, a.override_expires_at
    FROM json_to_recordset(CAST(:assignments AS json)) AS a(
        scheme_key text, tier text, version integer, since timestamptz,
        downgrade_to text, downgrade_since timestamptz, downgrade_at timestamptz,
        override_tier text, override_reason text, override_set_at timestamptz,
        override_expires_at timestamptz
    )
    """
    + ASSIGNMENT_REPLACED
    + """
),
tier_changes AS (
    INSERT INTO tier_history (
        workspace_id, customer_id, scheme_key, version, from_tier, to_tier,
        changed_at, reason, cause
    )
    SELECT :workspace_id, :customer_id, h.scheme_key, h.version, h.from_tier, h.to_tier,
           :now, h.reason, CAST(:cause AS jsonb)
    FROM json_to_recordset(CAST(:tier_changes AS json)) AS h(
        ord integer, scheme_key text, version integer, from_tier text, to_tier text,
        reason text
    )
    ORDER BY h.ord
),
entered AS (
    INSERT INTO segment_members (workspace_id, segment_key, customer_id, since)
    SELECT :workspace_id, k, :customer_id, :now FROM unnest(CAST(:entered AS text[])) AS k
),
exited AS (
    DELETE FROM segment_members
    WHERE workspace_id = :workspace_id AND customer_id = :customer_id
      AND segment_key = ANY(CAST(:exited AS text[]))
),
segment_changes AS (
    INSERT INTO segment_history (
        workspace_id, customer_id, segment_key, version, change, changed_at, reason, cause
    )
    SELECT :workspace_id, :customer_id, h.segment_key, h.version, h.change, :now, :reason,
           CAST(:cause AS jsonb)
    FROM json_to_recordset(CAST(:segment_changes AS json)) AS h(
        ord integer, segment_key text, version integer, change text
    )
    ORDER BY h.ord
),
incoming AS (
    SELECT m.ord, gen_random_uuid() AS id, m.type, m.data, m.endpoints
    FROM json_to_recordset(CAST(:messages AS json)) AS m(
        ord integer, type text, data jsonb, endpoints uuid[]
    )
),
message AS (
    INSERT INTO webhook_messages (workspace_id, id, type, customer_id, data, created_at)
    SELECT :workspace_id, i.id, i.type, :customer_id, i.data, :now FROM incoming i ORDER BY i.ord
),
delivery AS (
    INSERT INTO webhook_deliveries
        (workspace_id, message_id, endpoint_id, status, next_attempt_at, created_at)
    SELECT :workspace_id, i.id, e, 'pending', :now, :now
    FROM incoming i, unnest(i.endpoints) AS e
),
review AS (
    UPDATE customers SET next_review_at = :review_at
    WHERE :review_changed AND workspace_id = :workspace_id AND customer_id = :customer_id
)
SELECT pg_notify(:channel, CAST(:workspace_id AS text)) WHERE :notify
""",
    "tierline_event_apply",
)

PREPARED = (*_WRITES.values(), _APPLY)
"""Prepared by SQL on each of the raw pool's connections as it opens (``create_raw_pool``)."""


async def ingest(
    raw: RawConnection,
    engine: AsyncEngine,
    configs: ConfigCache,
    config: WorkspaceConfig,
    key_hash: bytes,
    event: EventIn,
    now: datetime,
) -> Outcome:
    """Stores the event and classifies its customer, each attempt in a transaction of its
    own on ``raw`` (which holds none), committed before this returns. The rare rest (a
    configuration reload, a replay's answer) goes through ``engine``."""
    check_time(event, now)
    digest = fingerprint(event)
    for _ in range(ATTEMPTS):
        try:
            async with _rolled_back_unless_committed(raw):
                return await _attempt(raw, config, event, digest, now)
        except _Stale as stale:
            async with engine.begin() as conn:
                fresh = await configs.confirm(conn, key_hash, config.workspace_id, stale.version)
            if fresh is None:
                raise Unauthorized(UNKNOWN_KEY) from None
            config = fresh
        except _Replay:
            async with engine.begin() as conn:
                return await replayed(
                    conn, config.workspace_id, event, digest, now, describe_customer=True
                )
    raise ConfigurationChanging(
        "The workspace's configuration changed under every attempt; send the event again."
    )


@asynccontextmanager
async def _rolled_back_unless_committed(raw: RawConnection) -> AsyncIterator[None]:
    """The attempt's statements begin and commit its transaction themselves, each sharing a
    round trip with ``BEGIN`` or ``COMMIT``; what an error leaves open is rolled back."""
    try:
        yield
    finally:
        if raw.is_in_transaction():
            await raw.execute("ROLLBACK")


async def _attempt(
    raw: RawConnection,
    config: WorkspaceConfig,
    event: EventIn,
    digest: bytes,
    now: datetime,
) -> Outcome:
    workspace_id = config.workspace_id
    currency, rate = event.currency, None
    amount_base = None
    if event.amount is not None:
        currency = currency or config.base_currency
        rate = await _rate(raw, config, currency)
        amount_base = event.amount if rate == 1 else convert(event.amount, rate)
    new_event = user_metrics.NewEvent(
        event.customer_id, event.type, event.event_id, event.occurred_at, amount_base,
        event.properties,
    )  # fmt: skip
    rollups = user_metrics.rollup_rows(config.definitions, [new_event])
    values: dict[str, Any] = {
        **customer_values(workspace_id, event, amount_base, now),
        "ws": workspace_id,
        "event_id": event.event_id,
        "amount": event.amount,
        "currency": currency,
        "amount_base": amount_base,
        "fx_rate": None if rate == 1 else rate,
        "properties": json.dumps(event.properties),
        "fingerprint": digest,
        "received_at": now,
        "day": utc_day(event.occurred_at),
        "rollup_days": _json(rollups.days),
        "rollup_totals": _json(rollups.totals),
    }
    has_day = event.type in ("order", "refund")
    written = await raw.execute("BEGIN;\n" + _WRITES[has_day, bool(rollups.totals)].execute(values))
    if written == "SELECT 0":
        # The id is taken: check the configuration is current (the key may be revoked),
        # then answer as a replay, outside this transaction, which wrote nothing.
        _check(config, await raw.fetchval(_VERSION, workspace_id))
        raise _Replay

    today = utc_day(now)
    reading = user_metrics.rollups_read(config.definitions, today)
    # The customer's purchase days changed: so do its CLV predictions.
    predicting = has_day and config.clv_model is not None
    read = _read(reading is not None, predicting)
    values |= customer_store.window_starts(today)
    values |= {"cid": event.customer_id, "ids": [event.customer_id], "end": today}
    if reading is not None:
        values |= metric_store.read_rollup_values(**reading)
    facts = await raw.fetchrow(read.sql, *read.args(values))
    assert facts is not None
    _check(config, facts["config_version"])
    row: Any = SimpleNamespace(**{c: facts[c] for c in _CUSTOMER_COLUMNS})
    if predicting:
        assert config.clv_model is not None
        predicted_ids, summaries = prediction_store.summaries_of(facts["summaries"] or [])
        ids, columns = predictions(config.clv_model, [event.customer_id], predicted_ids, summaries)
        values |= {"ids": ids, **columns}
        predicted = await raw.fetchrow(_PREDICT.sql, *_PREDICT.args(values))
        row = row if predicted is None else _row(predicted)

    customer = _customer(config, row, facts, now)
    decided = _classify(config, customer, facts, now)
    await _apply(raw, config, event, customer, row, decided, now)
    shown = customer.shown(policy.shown(decided.tiers.assignments), decided.review)
    return Outcome("created", event.event_id, shown, decided.tiers.changes)


async def _rate(raw: RawConnection, config: WorkspaceConfig, currency: str) -> Decimal:
    if currency == config.base_currency:
        return Decimal(1)
    rate = config.rates.get(currency)
    if rate is None:
        # Perhaps set since the configuration was cached (the version check then starts
        # over): the table says.
        rate = await raw.fetchval(_RATE, config.workspace_id, currency)
    if rate is None:
        raise missing_rate(config.base_currency, currency)
    return Decimal(rate)


def _check(config: WorkspaceConfig, version: int | None) -> None:
    if version is None:  # the workspace is gone
        raise Unauthorized(UNKNOWN_KEY)
    if version != config.version:
        raise _Stale(version)


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return to_json(rows).decode()


def _row(record: asyncpg.Record) -> SimpleNamespace:
    """The customer's row as the services read it: columns as attributes. (The raw pool's
    connections decode JSON into Python values, as SQLAlchemy does.)"""
    return SimpleNamespace(**record)


def _customer(
    config: WorkspaceConfig, row: Any, facts: asyncpg.Record, now: datetime
) -> CustomerView:
    sums = customer_store.sums_of(dict(facts))
    found = facts.get("rollups")
    columns = metric_store.READ_ROLLUPS_COLUMNS
    windowed, lifetime = metric_store.rollups_of(
        dict(zip(columns, r, strict=True)) for r in found or ()
    )
    return view_of(row, sums, evaluate_metrics(config.definitions, windowed, lifetime), now)


@dataclass(frozen=True, slots=True)
class _Decided:
    tiers: Classification
    segment_changes: list[MembershipChange]
    review: datetime | None


def _classify(
    config: WorkspaceConfig, customer: CustomerView, facts: asyncpg.Record, now: datetime
) -> _Decided:
    """What the pipeline would write for this customer, by the Python engine."""
    held = {
        values[0]: tier_store.assignment_of(
            SimpleNamespace(**dict(zip(tier_store.ASSIGNMENT_COLUMNS, values, strict=True)))
        )
        for values in facts["tiers"] or ()
    }
    members = set(facts["members"] or ())
    pending = set(customer.pending_metrics)
    tiers = policy.classify(
        config.schemes, customer.facts({}), held, now, "event", pending_metrics=pending
    )
    seen = {key: a.tier for key, a in held.items()} | {
        key: a.tier for key, a in tiers.assignments.items()
    }
    facts_now = customer.facts(seen)
    ready = [s for s in config.segments if not s.reads_metrics & pending]
    changes = []
    for segment in ready:
        inside = evaluate(segment.condition, facts_now, now)
        if inside != (segment.key in members):
            change: Literal["entered", "exited"] = "entered" if inside else "exited"
            changes.append(
                MembershipChange(customer.customer_id, segment.key, segment.version, change)
            )
    review = earliest(
        customer.next_review_at, tiers.next_review_at, membership.next_review(ready, facts_now, now)
    )
    return _Decided(tiers, changes, review)


async def _apply(
    raw: RawConnection,
    config: WorkspaceConfig,
    event: EventIn,
    customer: CustomerView,
    row: Any,
    decided: _Decided,
    now: datetime,
) -> None:
    changed = decided.tiers.changed
    review_changed = decided.review != row.next_review_at
    if not (changed or decided.segment_changes or review_changed):
        await raw.execute("COMMIT")
        return
    messages = _messages(config, customer, decided, now) if config.routes else []
    values = {
        "workspace_id": config.workspace_id,
        "customer_id": event.customer_id,
        "now": now,
        "reason": "event",
        "cause": json.dumps({"event_id": event.event_id}),
        "assignments": _json([_assignment_row(key, a) for key, a in changed.items()]),
        "tier_changes": _json(
            [
                {
                    "ord": i,
                    "scheme_key": c.scheme,
                    "version": c.version,
                    "from_tier": c.from_tier,
                    "to_tier": c.to_tier,
                    "reason": c.reason,
                }
                for i, c in enumerate(decided.tiers.changes)
            ]
        ),
        "entered": [c.segment for c in decided.segment_changes if c.change == "entered"],
        "exited": [c.segment for c in decided.segment_changes if c.change == "exited"],
        "segment_changes": _json(
            [
                {"ord": i, "segment_key": c.segment, "version": c.version, "change": c.change}
                for i, c in enumerate(decided.segment_changes)
            ]
        ),
        "messages": _json(
            [
                {"ord": i, "type": m.type, "data": m.data, "endpoints": m.endpoints}
                for i, m in enumerate(messages)
            ]
        ),
        "review_at": decided.review,
        "review_changed": review_changed,
        "channel": CHANNEL,
        "notify": bool(messages),
    }
    await raw.execute(_APPLY.execute(values) + ";\nCOMMIT")


def _assignment_row(scheme_key: str, a: Assignment) -> dict[str, Any]:
    override = a.override
    return {
        "scheme_key": scheme_key,
        "tier": a.tier,
        "version": a.version,
        "since": a.since,
        "downgrade_to": a.downgrade_to,
        "downgrade_since": a.downgrade_since,
        "downgrade_at": a.downgrade_at,
        "override_tier": None if override is None else override.tier,
        "override_reason": None if override is None else override.reason,
        "override_set_at": None if override is None else override.set_at,
        "override_expires_at": None if override is None else override.expires_at,
    }


def _messages(
    config: WorkspaceConfig, customer: CustomerView, decided: _Decided, now: datetime
) -> list[outbox.NewMessage]:
    """The outbox messages an endpoint wants: tier changes in dependency order, then the
    segment entries and exits, as the pipeline orders them."""
    by_key = {s.key: s for s in config.schemes}
    found = []
    for change in decided.tiers.changes:
        scheme = by_key[change.scheme]
        values = {name: customer.metrics.get(name) for name in sorted(scheme.reads_metrics)}
        found.append(
            pipeline.tier_message(scheme, customer.customer_id, change, values, config.routes, now)
        )
    found += [
        pipeline.segment_message(change, "event", config.routes, now)
        for change in decided.segment_changes
    ]
    return [m for m in found if m.endpoints]
